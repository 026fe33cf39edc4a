package auth

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"testing"

	"github.com/go-jose/go-jose/v4"
)

func TestKeyFits(t *testing.T) {
	keys := newTestKeys(t)
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rsaDER, err := x509.MarshalPKIXPublicKey(keys.rsa.Public())
	if err != nil {
		t.Fatal(err)
	}
	rsaPub, ecPub, edPub := keys.rsa.Public(), keys.ec.Public(), keys.ed.Public()
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

func TestParseAlgorithms(t *testing.T) {
	tests := []struct {
		in      []string
		want    int
		wantErr bool
	}{
		{[]string{"RS256", "ES256", "EdDSA"}, 3, false},
		{[]string{"HS256", "HS256"}, 1, false},
		{nil, 0, true},
		{[]string{"none"}, 0, true},
		{[]string{"rs256"}, 0, true},
		{[]string{"RS256", "ML-DSA-44"}, 0, true},
	}
	for _, tt := range tests {
		got, err := parseAlgorithms(tt.in)
		if (err != nil) != tt.wantErr || len(got) != tt.want {
			t.Errorf("parseAlgorithms(%q) = %v, %v; want %d algs, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}
