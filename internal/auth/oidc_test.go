package auth

import (
	"errors"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/vaultgate/vaultgate/internal/testkit"
)

func oidcConfig(issuer string) JWTConfig {
	c := jwksConfig("")
	c.OIDCIssuer, c.Issuer = issuer, issuer
	return c
}

func TestOIDCDiscovery(t *testing.T) {
	keys := testkit.NewKeys(t)
	tests := []struct {
		name      string
		issuer    func(s *idServer) string // configured OIDC issuer
		docIssuer func(s *idServer) string // "" = the server's own URL (+ path)
		jwksURI   string
		wantReady bool
	}{
		{name: "issuer without path", issuer: func(s *idServer) string { return s.srv.URL }, wantReady: true},
		{name: "issuer with path", issuer: func(s *idServer) string { return s.srv.URL + "/sub" }, wantReady: true},
		{
			name:      "trailing slash trimmed for the document URL",
			issuer:    func(s *idServer) string { return s.srv.URL + "/sub/" },
			docIssuer: func(s *idServer) string { return s.srv.URL + "/sub/" },
			wantReady: true,
		},
		{
			name:      "issuer mismatch",
			issuer:    func(s *idServer) string { return s.srv.URL },
			docIssuer: func(*idServer) string { return "https://evil.test" },
		},
		{
			name:      "trailing slash mismatch",
			issuer:    func(s *idServer) string { return s.srv.URL + "/sub/" },
			wantReady: false, // the document says the issuer without the slash
		},
		{name: "relative jwks_uri", issuer: func(s *idServer) string { return s.srv.URL }, jwksURI: "/jwks"},
		{name: "non-http jwks_uri", issuer: func(s *idServer) string { return s.srv.URL }, jwksURI: "file:///etc/passwd"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newIDServer(t, keys.JWKS())
			if tt.docIssuer != nil {
				srv.docIssuer = tt.docIssuer(srv)
			}
			srv.docJWKSURI = tt.jwksURI
			issuer := tt.issuer(srv)
			h := startJWT(t, oidcConfig(issuer), nil)
			if got := h.v.Ready(); got != tt.wantReady {
				t.Fatalf("Ready() = %v, want %v", got, tt.wantReady)
			}
			claims := claimsAt(time.Now(), func(c map[string]any) { c["iss"] = issuer })
			_, err := check(h.v, testkit.Sign(t, jose.ES256, keys.EC, "ec-1", claims))
			if tt.wantReady {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if n := srv.discoveries.Load(); n != 1 {
					t.Errorf("discovery fetched %d times, want 1", n)
				}
				return
			}
			if !errors.Is(err, ErrUnavailable) {
				t.Errorf("err = %v, want ErrUnavailable", err)
			}
			if n := srv.jwksFetches.Load(); n != 0 {
				t.Errorf("JWKS fetched %d times despite a rejected discovery document", n)
			}
		})
	}
}

func TestOIDCDiscoveryDownAtStart(t *testing.T) {
	keys := testkit.NewKeys(t)
	srv := newIDServer(t, keys.JWKS())
	srv.setDown(true)
	cfg := oidcConfig(srv.srv.URL)
	cfg.RefreshInterval = 10 * time.Millisecond // retries back off from there
	h := startJWT(t, cfg, nil)
	if h.v.Ready() {
		t.Fatal("Ready() = true")
	}
	claims := claimsAt(time.Now(), func(c map[string]any) { c["iss"] = srv.srv.URL })
	tok := testkit.Sign(t, jose.RS256, keys.RSA, "rsa-1", claims)
	if _, err := check(h.v, tok); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
	srv.setDown(false)
	testkit.Eventually(t, "Ready() after discovery came back", h.v.Ready)
	if _, err := check(h.v, tok); err != nil {
		t.Fatalf("after recovery: %v", err)
	}
}
