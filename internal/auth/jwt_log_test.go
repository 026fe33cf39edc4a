package auth

import (
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// TestLogsHoldNoSecrets drives fetch failures, recovery and failed
// verifications with debug logging on, then searches the log for tokens,
// claim values and key material.
func TestLogsHoldNoSecrets(t *testing.T) {
	keys := newTestKeys(t)
	srv := newIDServer(t, keys.jwks())
	srv.setDown(true)
	cfg := jwksConfig(srv.url())
	cfg.RefreshInterval = 10 * time.Millisecond
	h := startJWT(t, cfg, nil)
	tok := sign(t, jose.RS256, keys.rsa, "rsa-1", claimsAt(time.Now(), nil))
	_, _ = check(h.v, tok)
	srv.setDown(false)
	eventually(t, "recovery", h.v.Ready)
	_, _ = check(h.v, tok)
	_, _ = check(h.v, sign(t, jose.RS256, keys.rsa, "other", claimsAt(time.Now(), nil)))
	srv.setRaw([]byte(`{"keys":[` + string(mustJSON(t, jose.JSONWebKey{Key: keys.ec, KeyID: "leaky"})) + `]}`))
	eventually(t, "a refresh of a JWKS with a private key", func() bool { return h.fetches(triggerRefresh, resultError) >= 1 })

	logged := h.log.String()
	if !strings.Contains(logged, "jwks fetch failed") {
		t.Fatalf("expected fetch failures in the log, got:\n%s", logged)
	}
	assertNoLeak(t, logged, tok)
	pub := mustJSON(t, jose.JSONWebKey{Key: keys.rsa.Public()})
	priv := mustJSON(t, jose.JSONWebKey{Key: keys.ec})
	for _, frag := range []string{string(pub[20:60]), string(priv[len(priv)-40:])} {
		if strings.Contains(logged, frag) {
			t.Errorf("log holds key material %q", frag)
		}
	}
}
