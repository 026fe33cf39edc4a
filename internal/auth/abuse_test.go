package auth

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/vaultgate/vaultgate/internal/testkit"
)

// TestMapVerifiedEmail: with the address as the consumer id, an unverified
// one is anyone's to claim, and case must not split one mailbox in two.
func TestMapVerifiedEmail(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, claims, want string // want "": ErrNoConsumer
	}{
		{"verified", `{"email":"ada@corp.example","email_verified":true}`, "ada@corp.example"},
		{"lower-cased", `{"email":"Ada@Corp.Example","email_verified":true}`, "ada@corp.example"},
		{"unverified", `{"email":"ada@corp.example","email_verified":false}`, ""},
		{"verified as a string", `{"email":"ada@corp.example","email_verified":"true"}`, ""},
		{"no verification claim", `{"email":"ada@corp.example"}`, ""},
		{"empty", `{"email":"","email_verified":true}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := defaults()
			m.IDClaim, m.VerifiedEmail = "email", true
			got, err := m.Map(claimsJSON(t, tt.claims))
			if tt.want == "" && !errors.Is(err, ErrNoConsumer) || tt.want != "" && got.ID != tt.want {
				t.Fatalf("Map() = %q, %v; want %q", got.ID, err, tt.want)
			}
		})
	}
}

// TestTwoTokenCookiesAreRefused: a sibling subdomain can plant a second
// cookie of the same name (cookie tossing); which comes first is not ours
// to trust.
func TestTwoTokenCookiesAreRefused(t *testing.T) {
	cfg := hmacConfig()
	cfg.CookieName = "app_jwt"
	v := startJWT(t, cfg, nil).v
	good := testkit.Sign(t, jose.HS256, []byte(testHMACSecret), "", claimsAt(time.Now(), nil))
	for _, cookies := range [][]string{{"app_jwt=" + good + "; app_jwt=" + good}, {"app_jwt=" + good, "app_jwt=x"}} {
		r := httptest.NewRequest(http.MethodGet, "/connect", nil)
		r.Header["Cookie"] = cookies
		if _, err := v.Authenticate(r); !errors.Is(err, ErrUnauthenticated) || reasonOf(err) != ReasonInvalid {
			t.Errorf("cookies %d lines: err = %v, want unauthenticated/invalid", len(cookies), err)
		}
	}
}

// TestJWKSFailureLogsNoQuery: a JWKS URL's query may carry an API key.
func TestJWKSFailureLogsNoQuery(t *testing.T) {
	srv := newIDServer(t, nil)
	srv.setDown(true)
	h := startJWT(t, jwksConfig(srv.url()+"?api_key=s3cr3t-key"), nil)
	srv.srv.Close() // a transport error too, whose message quotes the URL
	_ = h.v.fetch(context.Background(), triggerRefresh)
	logged := h.log.String()
	if !strings.Contains(logged, "jwks fetch failed") || !strings.Contains(logged, "/jwks") {
		t.Fatalf("expected fetch failures naming the path, got:\n%s", logged)
	}
	if strings.Contains(logged, "s3cr3t-key") || strings.Contains(logged, "api_key") {
		t.Fatalf("log holds the JWKS URL's query:\n%s", logged)
	}
}

// TestHTTPSIssuerNeedsHTTPSKeys: keys fetched in clear for an https issuer
// could be swapped on the way.
func TestHTTPSIssuerNeedsHTTPSKeys(t *testing.T) {
	keys := testkit.NewKeys(t)
	for _, tt := range []struct {
		jwksURI string
		ready   bool
	}{{"http://idp.test/jwks", false}, {"https://idp.test/jwks", true}} {
		srv := newIDServer(t, keys.JWKS())
		srv.docIssuer, srv.docJWKSURI = "https://idp.test", tt.jwksURI
		h := startJWT(t, oidcConfig("https://idp.test"), inMemory(srv))
		if h.v.Ready() != tt.ready {
			t.Errorf("jwks_uri %s: Ready() = %v, want %v", tt.jwksURI, h.v.Ready(), tt.ready)
		}
	}
}

// TestPanicInJWKSRefetchIsAnError: the unknown-kid refetch runs inside
// singleflight, which re-raises a panic where nothing can recover it.
func TestPanicInJWKSRefetchIsAnError(t *testing.T) {
	keys := testkit.NewKeys(t)
	srv := newIDServer(t, keys.JWKS())
	h := startJWT(t, jwksConfig(srv.url()), nil)
	h.v.client = &http.Client{Transport: panicTransport{}}
	tok := testkit.Sign(t, jose.RS256, keys.RSA, "rotated", claimsAt(time.Now(), nil))
	if _, err := check(h.v, tok); err == nil {
		t.Fatal("a token with an unknown kid verified")
	}
	if !strings.Contains(h.log.String(), "panicked") {
		t.Errorf("the panic was not logged:\n%s", h.log.String())
	}
}

func TestTrustedPeer(t *testing.T) {
	t.Parallel()
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8::/32")}
	for addr, want := range map[string]bool{
		"10.1.2.3:4000":          true,
		"[::ffff:10.1.2.3]:4000": true, // IPv4-mapped, as dual-stack listeners report IPv4 peers
		"[2001:db8::1]:4000":     true,
		"11.0.0.1:4000":          false,
		"[::ffff:11.0.0.1]:4000": false,
		"garbage":                false,
	} {
		if got := TrustedPeer(addr, trusted); got != want {
			t.Errorf("TrustedPeer(%q) = %v, want %v", addr, got, want)
		}
	}
}
