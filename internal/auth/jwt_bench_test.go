package auth

import (
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

func BenchmarkVerify(b *testing.B) {
	keys := newTestKeys(b)
	srv := newIDServer(b, keys.jwks())
	jwks := startJWT(b, jwksConfig(srv.url()), nil).v
	hs := startJWT(b, hmacConfig(), nil).v
	claims := claimsAt(time.Now(), nil)
	cases := []struct {
		name  string
		v     *JWT
		token string
	}{
		{"HS256", hs, sign(b, jose.HS256, []byte(testHMACSecret), "", claims)},
		{"RS256", jwks, sign(b, jose.RS256, keys.rsa, "rsa-1", claims)},
		{"ES256", jwks, sign(b, jose.ES256, keys.ec, "ec-1", claims)},
		{"EdDSA", jwks, sign(b, jose.EdDSA, keys.ed, "ed-1", claims)},
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
