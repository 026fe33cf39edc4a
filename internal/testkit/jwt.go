package testkit

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"testing"

	"github.com/go-jose/go-jose/v4"
)

// Keys are signing keys generated for one test, one of each asymmetric
// kind vaultgate verifies.
type Keys struct {
	RSA *rsa.PrivateKey
	EC  *ecdsa.PrivateKey // P-256
	Ed  ed25519.PrivateKey
}

// NewKeys generates fresh keys.
func NewKeys(t testing.TB) Keys {
	t.Helper()
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ek, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	_, dk, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return Keys{RSA: rk, EC: ek, Ed: dk}
}

// JWKS returns the public halves as an identity provider publishes them:
// kids "rsa-1" (RS256), "ec-1" (ES256) and "ed-1" (no alg).
func (k Keys) JWKS() []jose.JSONWebKey {
	return []jose.JSONWebKey{
		{Key: k.RSA.Public(), KeyID: "rsa-1", Algorithm: string(jose.RS256), Use: "sig"},
		{Key: k.EC.Public(), KeyID: "ec-1", Algorithm: string(jose.ES256), Use: "sig"},
		{Key: k.Ed.Public(), KeyID: "ed-1", Use: "sig"},
	}
}

// Sign returns claims as a compact JWT signed with key by alg; the header
// carries typ JWT and, unless it is empty, kid. claims is encoded as JSON,
// except a []byte, which is signed as it is: for payloads no honest
// issuer would produce.
func Sign(t testing.TB, alg jose.SignatureAlgorithm, key any, kid string, claims any) string {
	t.Helper()
	payload, ok := claims.([]byte)
	if !ok {
		var err error
		if payload, err = json.Marshal(claims); err != nil {
			t.Fatalf("testkit.Sign: claims: %v", err)
		}
	}
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if kid != "" {
		opts = opts.WithHeader(jose.HeaderKey("kid"), kid)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		t.Fatalf("testkit.Sign: signer: %v", err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatalf("testkit.Sign: %v", err)
	}
	tok, err := jws.CompactSerialize()
	if err != nil {
		t.Fatalf("testkit.Sign: %v", err)
	}
	return tok
}
