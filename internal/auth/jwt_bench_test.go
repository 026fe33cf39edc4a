package auth

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/vaultgate/vaultgate/internal/testkit"
)

// FuzzVerify feeds arbitrary strings to an HS256 and a JWKS verifier: they
// must never panic, never accept, always fail with an *Error, and never echo
// the input in that error.
func FuzzVerify(f *testing.F) {
	keys := testkit.NewKeys(f)
	srv := newIDServer(f, keys.JWKS())
	now := time.Now()
	hs := startJWT(f, hmacConfig(), nil).v
	jwks := startJWT(f, jwksConfig(srv.url()), nil).v

	expired := func(c map[string]any) { c["exp"] = now.Add(-time.Hour).Unix() }
	wrongAud := func(c map[string]any) { c["aud"] = []any{"x", 1} }
	for _, seed := range []string{
		"", ".", "..", "a.b.c", "e30.e30.", "not a token",
		rawToken(`{"alg":"none"}`, `{"sub":"x","exp":9999999999}`, ""),
		rawToken(`{"alg":"HS256","kid":"rsa-1"}`, `null`, "AAAA"),
		rawToken(`{"alg":"RS256","kid":"rsa-1","crit":["exp"]}`, `{}`, "AAAA"),
		rawToken(`{"alg":"ES256"}`, `{"exp":1e400}`, ""),
		testkit.Sign(f, jose.HS256, []byte(testHMACSecret), "", claimsAt(now, expired)),
		testkit.Sign(f, jose.HS256, []byte(testHMACSecret), "", claimsAt(now, wrongAud)),
		testkit.Sign(f, jose.RS256, keys.RSA, "rsa-1", claimsAt(now, expired)),
		testkit.Sign(f, jose.ES256, keys.EC, "ec-1", claimsAt(now, wrongAud)),
		testkit.Sign(f, jose.EdDSA, keys.Ed, "ed-1", claimsAt(now, func(c map[string]any) { delete(c, "sub") })),
		testkit.Sign(f, jose.ES256, keys.EC, "ec-made-up", claimsAt(now, nil)),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, token string) {
		for name, v := range map[string]*JWT{"hs": hs, "jwks": jwks} {
			id, err := check(v, token)
			if err == nil {
				t.Fatalf("%s verifier accepted %q as %q", name, token, id.Subject)
			}
			var ae *Error
			if !errors.As(err, &ae) || ae.Class == nil {
				t.Fatalf("%s: error %v is not an *Error", name, err)
			}
			if len(token) >= 16 && strings.Contains(err.Error(), token) {
				t.Fatalf("%s: error echoes the token", name)
			}
		}
	})
}

func BenchmarkVerify(b *testing.B) {
	keys := testkit.NewKeys(b)
	srv := newIDServer(b, keys.JWKS())
	jwks := startJWT(b, jwksConfig(srv.url()), nil).v
	hs := startJWT(b, hmacConfig(), nil).v
	claims := claimsAt(time.Now(), nil)
	cases := []struct {
		name  string
		v     *JWT
		token string
	}{
		{"HS256", hs, testkit.Sign(b, jose.HS256, []byte(testHMACSecret), "", claims)},
		{"RS256", jwks, testkit.Sign(b, jose.RS256, keys.RSA, "rsa-1", claims)},
		{"ES256", jwks, testkit.Sign(b, jose.ES256, keys.EC, "ec-1", claims)},
		{"EdDSA", jwks, testkit.Sign(b, jose.EdDSA, keys.Ed, "ed-1", claims)},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := check(c.v, c.token); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
