package auth

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/vaultgate/vaultgate/internal/testkit"
)

func TestKeyFits(t *testing.T) {
	keys := testkit.NewKeys(t)
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rsaDER, err := x509.MarshalPKIXPublicKey(keys.RSA.Public())
	if err != nil {
		t.Fatal(err)
	}
	rsaPub, ecPub, edPub := keys.RSA.Public(), keys.EC.Public(), keys.Ed.Public()
	tests := []struct {
		name   string
		alg    jose.SignatureAlgorithm
		jwkAlg string
		key    any
		want   bool
	}{
		{"RS256 RSA", jose.RS256, "", rsaPub, true},
		{"PS256 RSA", jose.PS256, "", rsaPub, true},
		{"RS256 RSA, JWK says RS256", jose.RS256, "RS256", rsaPub, true},
		{"PS256 RSA, JWK says RS256", jose.PS256, "RS256", rsaPub, false},
		{"ES256 P-256", jose.ES256, "", ecPub, true},
		{"ES256 P-384", jose.ES256, "", p384.Public(), false},
		{"ES384 P-384", jose.ES384, "", p384.Public(), true},
		{"ES512 P-256", jose.ES512, "", ecPub, false},
		{"EdDSA Ed25519", jose.EdDSA, "", edPub, true},
		{"EdDSA short key", jose.EdDSA, "", ed25519.PublicKey{1, 2, 3}, false},
		{"HS256 secret", jose.HS256, "", []byte("secret"), true},
		{"HS256 empty secret", jose.HS256, "", []byte{}, false},
		{"HS256 RSA public key", jose.HS256, "", rsaPub, false},
		{"HS256 RSA public key bytes", jose.HS256, "RS256", rsaDER, false},
		{"RS256 EC key", jose.RS256, "", ecPub, false},
		{"ES256 RSA key", jose.ES256, "", rsaPub, false},
		{"EdDSA EC key", jose.EdDSA, "", ecPub, false},
		{"RS256 HMAC secret", jose.RS256, "", rsaDER, false},
		{"none", jose.SignatureAlgorithm("none"), "", rsaPub, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := keyFits(tt.alg, tt.jwkAlg, tt.key); got != tt.want {
				t.Errorf("keyFits(%s, %q, %T) = %v, want %v", tt.alg, tt.jwkAlg, tt.key, got, tt.want)
			}
		})
	}
}

// TestAlgorithmsAreVerifiable checks the list config validates against:
// every name on it is one some key can verify, and "none" is not on it.
func TestAlgorithmsAreVerifiable(t *testing.T) {
	keys := testkit.NewKeys(t)
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p521, err := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	candidates := []any{keys.RSA.Public(), keys.EC.Public(), p384.Public(), p521.Public(), keys.Ed.Public(), []byte("secret")}
	for _, name := range Algorithms() {
		if !slices.ContainsFunc(candidates, func(k any) bool { return keyFits(jose.SignatureAlgorithm(name), "", k) }) {
			t.Errorf("no key fits %s", name)
		}
		if strings.EqualFold(name, "none") {
			t.Error(`"none" is listed`)
		}
	}
}

func TestParseJWKSSkipsUnusableKeys(t *testing.T) {
	keys := testkit.NewKeys(t)
	private := jose.JSONWebKey{Key: keys.EC, KeyID: "ec-private", Use: "sig"}
	enc := jose.JSONWebKey{Key: keys.RSA.Public(), KeyID: "rsa-enc", Use: "enc"}
	good := jose.JSONWebKey{Key: keys.Ed.Public(), KeyID: "ed-1"}
	kidless := jose.JSONWebKey{Key: keys.RSA.Public()}
	body := fmt.Sprintf(`{"keys":[%s,%s,{"kty":"oct","k":"c2VjcmV0"},{"kty":"EC","crv":"P-256","x":"AA","y":"AA"},%s,%s]}`,
		mustJSON(t, private), mustJSON(t, enc), mustJSON(t, good), mustJSON(t, kidless))
	set, skipped, err := parseJWKS([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if skipped != 4 {
		t.Errorf("skipped = %d, want 4", skipped)
	}
	var kids []string
	for _, k := range set.keys {
		kids = append(kids, k.KeyID)
	}
	if got, want := strings.Join(kids, ","), ",ed-1"; got != want {
		t.Errorf("kept kids %q, want %q (kid-less first)", got, want)
	}
	if got := set.candidates(jose.ES256, "ec-private"); len(got) != 0 {
		t.Error("a private key from a JWKS must not be used")
	}
	if got := set.candidates(jose.RS256, ""); len(got) != 1 {
		t.Errorf("no-kid RS256 candidates = %d, want 1", len(got))
	}
	if got := set.candidates(jose.HS256, ""); len(got) != 0 {
		t.Error("no key of a JWKS may serve HS256")
	}
}
