package config

import (
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vaultgate/vaultgate/internal/auth"
)

func TestJWTKeySources(t *testing.T) {
	t.Parallel()
	base := auth.JWTConfig{
		ClockSkew:          30 * time.Second,
		RefreshInterval:    5 * time.Minute,
		UnknownKIDInterval: 30 * time.Second,
		Audience:           "vaultgate",
	}
	tests := []struct {
		name       string
		env        map[string]string
		want       func(c auth.JWTConfig) auth.JWTConfig
		wantSecret string
	}{
		{
			name: "OIDC issuer is the default issuer, kept verbatim",
			env:  oidcEnv(),
			want: func(c auth.JWTConfig) auth.JWTConfig {
				c.OIDCIssuer, c.Issuer = "https://idp.example.test/", "https://idp.example.test/"
				c.Algorithms = []string{"RS256", "ES256", "EdDSA"}
				return c
			},
		},
		{
			name: "explicit issuer wins over the OIDC issuer",
			env:  with(oidcEnv(), map[string]string{"AUTH_ISSUER": "https://login.example.test"}),
			want: func(c auth.JWTConfig) auth.JWTConfig {
				c.OIDCIssuer, c.Issuer = "https://idp.example.test/", "https://login.example.test"
				c.Algorithms = []string{"RS256", "ES256", "EdDSA"}
				return c
			},
		},
		{
			name: "algorithms canonicalised and deduplicated",
			env:  with(requiredEnv(), map[string]string{"AUTH_ALGORITHMS": "rs256, eddsa,ps512,RS256"}),
			want: func(c auth.JWTConfig) auth.JWTConfig {
				c.JWKSURL, c.Issuer = "https://idp.example.test/.well-known/jwks.json", "https://idp.example.test/"
				c.Algorithms = []string{"RS256", "EdDSA", "PS512"}
				return c
			},
		},
		{
			name: "HMAC secret",
			env: with(hmacEnv(), map[string]string{
				"AUTH_ALGORITHMS": "HS256,HS384", "AUTH_HS256_SECRET": testHMACSecret + "-padded-to-48-bytes!",
			}),
			want: func(c auth.JWTConfig) auth.JWTConfig {
				c.Issuer = "https://idp.example.test/"
				c.Algorithms = []string{"HS256", "HS384"}
				return c
			},
			wantSecret: testHMACSecret + "-padded-to-48-bytes!",
		},
		{
			name: "cookie, skew bound and other modes' variables ignored",
			env: with(requiredEnv(), map[string]string{
				"AUTH_COOKIE_NAME": "id_token", "AUTH_CLOCK_SKEW": "5m",
				"AUTH_FORWARD_URL": "not a url", "AUTH_TRUSTED_PROXIES": "nonsense", "AUTH_HEADER_USER": "bad name",
			}),
			want: func(c auth.JWTConfig) auth.JWTConfig {
				c.JWKSURL, c.Issuer = "https://idp.example.test/.well-known/jwks.json", "https://idp.example.test/"
				c.Algorithms = []string{"RS256", "ES256", "EdDSA"}
				c.CookieName, c.ClockSkew = "id_token", 5*time.Minute
				return c
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := mustParse(t, tt.env)
			if diff := cmp.Diff(tt.want(base), c.JWT, cmpConfig()); diff != "" {
				t.Errorf("JWT config (-want +got):\n%s", diff)
			}
			if got := c.HS256Secret.Reveal(); got != tt.wantSecret {
				t.Errorf("HS256 secret = %q, want %q", got, tt.wantSecret)
			}
			if c.Forward != (auth.ForwardConfig{}) || c.Header.TrustedProxies != nil {
				t.Error("other modes' configuration must stay zero")
			}
		})
	}
}

func TestForwardMode(t *testing.T) {
	t.Parallel()
	c := mustParse(t, with(forwardEnv(), map[string]string{
		"AUTH_MODE":                    "Forward",
		"AUTH_FORWARD_TIMEOUT":         "1500ms",
		"AUTH_FORWARD_CACHE_TTL":       "30s",
		"AUTH_FORWARD_MAX_CONCURRENCY": "8",
		"AUTH_ALGORITHMS":              "none", // jwt mode's: ignored here
	}))
	want := auth.ForwardConfig{URL: "http://127.0.0.1:3000/api/me", Timeout: 1500 * time.Millisecond, CacheTTL: 30 * time.Second, MaxConcurrency: 8}
	if c.AuthMode != ModeForward || c.Forward != want {
		t.Errorf("got mode %q %+v, want forward %+v", c.AuthMode, c.Forward, want)
	}
	defaults := mustParse(t, forwardEnv()).Forward
	if defaults.Timeout != 3*time.Second || defaults.CacheTTL != 0 || defaults.MaxConcurrency != 64 {
		t.Errorf("forward defaults = %+v, want 3s timeout, no cache, 64 lookups", defaults)
	}
}

func TestHeaderMode(t *testing.T) {
	t.Parallel()
	c := mustParse(t, with(headerEnv(), map[string]string{
		"AUTH_TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.7 ,2001:db8::1, fd00::/8, 10.0.0.0/8, ::ffff:172.16.0.0/108",
		"AUTH_HEADER_USER":     "X-Auth-Request-User",
	}))
	want := auth.HeaderConfig{
		UserHeader:   "X-Auth-Request-User",
		EmailHeader:  "X-Forwarded-Email",
		GroupsHeader: "X-Forwarded-Groups",
		TrustedProxies: []netip.Prefix{
			netip.MustParsePrefix("10.0.0.0/8"),
			netip.MustParsePrefix("192.0.2.7/32"),
			netip.MustParsePrefix("2001:db8::1/128"),
			netip.MustParsePrefix("fd00::/8"),
			netip.MustParsePrefix("172.16.0.0/12"), // IPv4-mapped, matched as IPv4
		},
	}
	if diff := cmp.Diff(want, c.Header, cmpConfig()); diff != "" {
		t.Errorf("header config (-want +got):\n%s", diff)
	}
	if c.AuthMode != ModeHeader || c.JWT.Algorithms != nil {
		t.Errorf("mode %q, JWT %+v: want header mode and no JWT configuration", c.AuthMode, c.JWT)
	}
}
