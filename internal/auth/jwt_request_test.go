package auth

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/vaultgate/vaultgate/internal/testkit"
)

func TestAuthenticateTokenSources(t *testing.T) {
	cfg := hmacConfig()
	cfg.CookieName = "app_jwt"
	withCookie := startJWT(t, cfg, nil).v
	cfg.CookieName = ""
	noCookie := startJWT(t, cfg, nil).v
	good := testkit.Sign(t, jose.HS256, []byte(testHMACSecret), "", claimsAt(time.Now(), nil))

	tests := []struct {
		name    string
		v       *JWT
		auth    []string // Authorization header values
		cookie  *http.Cookie
		reason  string // "" = authenticated
		token   bool   // a refused token was presented: the challenge says invalid_token
		ambient bool
	}{
		{name: "bearer", v: withCookie, auth: []string{"Bearer " + good}},
		{name: "scheme lower case", v: withCookie, auth: []string{"bearer " + good}},
		{name: "scheme upper case, padded", v: withCookie, auth: []string{"  BEARER   " + good + " "}},
		{name: "cookie", v: withCookie, cookie: &http.Cookie{Name: "app_jwt", Value: good}, ambient: true},
		{name: "nothing", v: withCookie, reason: ReasonMissing},
		{name: "empty cookie", v: withCookie, cookie: &http.Cookie{Name: "app_jwt", Value: ""}, reason: ReasonMissing, ambient: true},
		{name: "other cookie", v: withCookie, cookie: &http.Cookie{Name: "session", Value: good}, reason: ReasonMissing},
		{name: "cookie ignored without CookieName", v: noCookie, cookie: &http.Cookie{Name: "app_jwt", Value: good}, reason: ReasonMissing},
		{name: "basic scheme", v: withCookie, auth: []string{"Basic dXNlcjpwYXNz"}, reason: ReasonMalformed},
		{name: "other scheme with a valid token", v: withCookie, auth: []string{"Token " + good}, reason: ReasonMalformed},
		{name: "bearer without token", v: withCookie, auth: []string{"Bearer"}, reason: ReasonMalformed, token: true},
		{name: "bearer with blank token", v: withCookie, auth: []string{"Bearer    "}, reason: ReasonMalformed, token: true},
		{name: "token without scheme", v: withCookie, auth: []string{good}, reason: ReasonMalformed},
		{name: "two tokens", v: withCookie, auth: []string{"Bearer " + good + " " + good}, reason: ReasonMalformed, token: true},
		{name: "two headers", v: withCookie, auth: []string{"Bearer " + good, "Bearer " + good}, reason: ReasonMalformed, token: true},
		{name: "garbage bearer", v: withCookie, auth: []string{"Bearer a.b.c"}, reason: ReasonMalformed, token: true},
		{name: "garbage cookie", v: withCookie, cookie: &http.Cookie{Name: "app_jwt", Value: "a.b.c"}, reason: ReasonMalformed, token: true, ambient: true},
		{
			name: "a bad header never falls back to the cookie", v: withCookie,
			auth: []string{"Basic x"}, cookie: &http.Cookie{Name: "app_jwt", Value: good}, reason: ReasonMalformed,
		},
		{
			name: "header wins over a bad cookie", v: withCookie,
			auth: []string{"Bearer " + good}, cookie: &http.Cookie{Name: "app_jwt", Value: "junk"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/connect", nil)
			for _, a := range tt.auth {
				r.Header.Add("Authorization", a)
			}
			if tt.cookie != nil {
				r.AddCookie(tt.cookie)
			}
			if got := tt.v.Ambient(r); got != tt.ambient {
				t.Errorf("Ambient() = %v, want %v", got, tt.ambient)
			}
			id, err := tt.v.Authenticate(r)
			if tt.reason == "" {
				if err != nil {
					t.Fatalf("Authenticate: %v", err)
				}
				if id.Subject != testSubject {
					t.Errorf("Subject = %q", id.Subject)
				}
				return
			}
			if !errors.Is(err, ErrUnauthenticated) || reasonOf(err) != tt.reason {
				t.Fatalf("err = %v, want unauthenticated/%s", err, tt.reason)
			}
			if ae, _ := errors.AsType[*Error](err); ae.Token != tt.token {
				t.Errorf("Token = %v, want %v", ae.Token, tt.token)
			}
			assertNoLeak(t, err.Error(), good)
		})
	}
}

// TestNewJWT builds verifiers the way the service does: a failed start-up
// fetch is no error, and an HS256 verifier is ready at once.
func TestNewJWT(t *testing.T) {
	srv := newIDServer(t, nil)
	url := srv.url()
	srv.srv.Close()
	v, err := NewJWT(t.Context(), jwksConfig(url), prometheus.NewRegistry(), zerolog.Nop())
	if err != nil {
		t.Fatalf("NewJWT must not fail on an unreachable JWKS: %v", err)
	}
	if v.Ready() {
		t.Error("Ready() = true")
	}
	keys := testkit.NewKeys(t)
	_, err = check(v, testkit.Sign(t, jose.ES256, keys.EC, "ec-1", claimsAt(time.Now(), nil)))
	if !errors.Is(err, ErrUnavailable) {
		t.Errorf("err = %v, want ErrUnavailable", err)
	}

	hs, err := NewJWT(t.Context(), hmacConfig(), prometheus.NewRegistry(), zerolog.Nop())
	if err != nil {
		t.Fatalf("valid HS256 config: %v", err)
	}
	if !hs.Ready() {
		t.Error("HS256 verifier must always be ready")
	}
}

// TestLogsHoldNoSecrets drives fetch failures, recovery and failed
// verifications with debug logging on, then searches the log for tokens,
// claim values and key material.
func TestLogsHoldNoSecrets(t *testing.T) {
	keys := testkit.NewKeys(t)
	srv := newIDServer(t, keys.JWKS())
	srv.setDown(true)
	cfg := jwksConfig(srv.url())
	cfg.RefreshInterval = 10 * time.Millisecond
	h := startJWT(t, cfg, nil)
	tok := testkit.Sign(t, jose.RS256, keys.RSA, "rsa-1", claimsAt(time.Now(), nil))
	_, _ = check(h.v, tok)
	srv.setDown(false)
	testkit.Eventually(t, "recovery", h.v.Ready)
	_, _ = check(h.v, tok)
	_, _ = check(h.v, testkit.Sign(t, jose.RS256, keys.RSA, "other", claimsAt(time.Now(), nil)))
	srv.setRaw([]byte(`{"keys":[` + string(mustJSON(t, jose.JSONWebKey{Key: keys.EC, KeyID: "leaky"})) + `]}`))
	testkit.Eventually(t, "a refresh of a JWKS with a private key", func() bool { return h.fetches(triggerRefresh, resultError) >= 1 })

	logged := h.log.String()
	if !strings.Contains(logged, "jwks fetch failed") {
		t.Fatalf("expected fetch failures in the log, got:\n%s", logged)
	}
	assertNoLeak(t, logged, tok)
	pub := mustJSON(t, jose.JSONWebKey{Key: keys.RSA.Public()})
	priv := mustJSON(t, jose.JSONWebKey{Key: keys.EC})
	for _, frag := range []string{string(pub[20:60]), string(priv[len(priv)-40:])} {
		if strings.Contains(logged, frag) {
			t.Errorf("log holds key material %q", frag)
		}
	}
}
