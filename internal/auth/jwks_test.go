package auth

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/vaultgate/vaultgate/internal/testkit"
)

func TestKeyRotationWorksOnFirstRequest(t *testing.T) {
	old, rotated := testkit.NewKeys(t), testkit.NewKeys(t)
	srv := newIDServer(t, old.JWKS()[:1])
	h := startJWT(t, jwksConfig(srv.url()), nil)
	if !h.v.Ready() {
		t.Fatal("not ready after a successful start-up fetch")
	}
	if _, err := check(h.v, testkit.Sign(t, jose.RS256, old.RSA, "rsa-1", claimsAt(time.Now(), nil))); err != nil {
		t.Fatalf("old key: %v", err)
	}

	srv.setKeys([]jose.JSONWebKey{{Key: rotated.RSA.Public(), KeyID: "rsa-2", Algorithm: "RS256", Use: "sig"}})
	id, err := check(h.v, testkit.Sign(t, jose.RS256, rotated.RSA, "rsa-2", claimsAt(time.Now(), nil)))
	if err != nil {
		t.Fatalf("rotated key, first request: %v", err)
	}
	if id.Subject != testSubject {
		t.Errorf("Subject = %q", id.Subject)
	}
	if got := srv.jwksFetches.Load(); got != 2 {
		t.Errorf("JWKS fetches = %d, want 2 (start-up + one for the new kid)", got)
	}
	if got := h.fetches(triggerStartup, resultOK); got != 1 {
		t.Errorf("startup/ok = %v, want 1", got)
	}
	if got := h.fetches(triggerUnknownKID, resultOK); got != 1 {
		t.Errorf("unknown_kid/ok = %v, want 1", got)
	}
	// The old key left the JWKS, so it no longer verifies.
	_, err = check(h.v, testkit.Sign(t, jose.RS256, old.RSA, "rsa-1", claimsAt(time.Now(), nil)))
	if reasonOf(err) != ReasonSignature {
		t.Errorf("retired key: err = %v, want signature", err)
	}
}

func TestUnknownKIDFloodIsThrottled(t *testing.T) {
	keys, rotated := testkit.NewKeys(t), testkit.NewKeys(t)
	srv := newIDServer(t, keys.JWKS())
	synctest.Test(t, func(t *testing.T) {
		h := startJWT(t, jwksConfig(srv.url()), inMemory(srv))
		before := srv.jwksFetches.Load()

		var wg sync.WaitGroup
		errs := make(chan error, 200)
		for range 200 {
			wg.Go(func() {
				kid := make([]byte, 8)
				_, _ = rand.Read(kid)
				_, err := check(h.v, testkit.Sign(t, jose.ES256, keys.EC, hex.EncodeToString(kid), claimsAt(time.Now(), nil)))
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if !errors.Is(err, ErrUnauthenticated) || reasonOf(err) != ReasonSignature {
				t.Fatalf("made-up kid: err = %v, want unauthenticated/signature", err)
			}
		}
		if extra := srv.jwksFetches.Load() - before; extra > 1 {
			t.Errorf("200 made-up kids caused %d JWKS fetches, want at most 1", extra)
		}

		// Within the interval even a real rotation waits; once it has
		// passed, the next unknown kid refetches again.
		srv.setKeys(append(keys.JWKS(), jose.JSONWebKey{Key: rotated.EC.Public(), KeyID: "ec-2", Use: "sig"}))
		tok := testkit.Sign(t, jose.ES256, rotated.EC, "ec-2", claimsAt(time.Now(), nil))
		time.Sleep(29 * time.Second)
		if _, err := check(h.v, tok); reasonOf(err) != ReasonSignature {
			t.Fatalf("within the interval: err = %v, want signature", err)
		}
		time.Sleep(2 * time.Second)
		if _, err := check(h.v, tok); err != nil {
			t.Fatalf("after the interval: %v", err)
		}
	})
}

func TestPeriodicRefreshDoesNotThrottleUnknownKID(t *testing.T) {
	keys, rotated := testkit.NewKeys(t), testkit.NewKeys(t)
	srv := newIDServer(t, keys.JWKS())
	h := startJWT(t, jwksConfig(srv.url()), nil)
	// What the refresh loop does on its timer, run here so no timer races
	// the rotation below.
	if err := h.v.fetch(context.Background(), triggerRefresh); err != nil {
		t.Fatal(err)
	}

	srv.setKeys([]jose.JSONWebKey{{Key: rotated.Ed.Public(), KeyID: "ed-2"}})
	if _, err := check(h.v, testkit.Sign(t, jose.EdDSA, rotated.Ed, "ed-2", claimsAt(time.Now(), nil))); err != nil {
		t.Fatalf("rotated key right after start-up and refresh fetches: %v", err)
	}
	if got := h.fetches(triggerUnknownKID, resultOK); got != 1 {
		t.Errorf("unknown_kid/ok = %v, want 1", got)
	}
	if got := h.fetches(triggerRefresh, resultOK); got != 1 {
		t.Errorf("refresh/ok = %v, want 1", got)
	}
}

func TestRefreshLoopRefetches(t *testing.T) {
	keys, rotated := testkit.NewKeys(t), testkit.NewKeys(t)
	srv := newIDServer(t, keys.JWKS())
	synctest.Test(t, func(t *testing.T) {
		h := startJWT(t, jwksConfig(srv.url()), inMemory(srv))
		srv.setKeys([]jose.JSONWebKey{{Key: rotated.Ed.Public(), KeyID: "ed-2"}})
		time.Sleep(h.v.cfg.RefreshInterval)
		synctest.Wait()
		if got := len(h.v.keys.Load().candidates(jose.EdDSA, "ed-2")); got != 1 {
			t.Fatalf("after one refresh interval the new key is not loaded (%d candidates)", got)
		}
		if got := h.fetches(triggerRefresh, resultOK); got != 1 {
			t.Errorf("refresh/ok = %v, want 1", got)
		}
		if got := h.fetches(triggerUnknownKID, resultOK) + h.fetches(triggerUnknownKID, resultError); got != 0 {
			t.Errorf("unknown_kid fetches = %v, want 0", got)
		}
	})
}

func TestKnownKeysSurviveJWKSOutage(t *testing.T) {
	keys := testkit.NewKeys(t)
	for _, outage := range []string{"503", "connection refused"} {
		t.Run(outage, func(t *testing.T) {
			srv := newIDServer(t, keys.JWKS())
			cfg := jwksConfig(srv.url())
			cfg.RefreshInterval = 10 * time.Millisecond
			h := startJWT(t, cfg, nil)
			if outage == "503" {
				srv.setDown(true)
			} else {
				srv.srv.Close()
			}
			testkit.Eventually(t, "a failed refresh", func() bool { return h.fetches(triggerRefresh, resultError) >= 2 })

			if !h.v.Ready() {
				t.Error("Ready() = false with known keys")
			}
			for kid, tok := range map[string]string{
				"rsa-1": testkit.Sign(t, jose.RS256, keys.RSA, "rsa-1", claimsAt(time.Now(), nil)),
				"ed-1":  testkit.Sign(t, jose.EdDSA, keys.Ed, "ed-1", claimsAt(time.Now(), nil)),
			} {
				if _, err := check(h.v, tok); err != nil {
					t.Errorf("%s during outage: %v", kid, err)
				}
			}
			// An unknown kid during the outage is a bad token, not an outage.
			_, err := check(h.v, testkit.Sign(t, jose.RS256, keys.RSA, "nope", claimsAt(time.Now(), nil)))
			if reasonOf(err) != ReasonSignature {
				t.Errorf("unknown kid during outage: err = %v, want signature", err)
			}
		})
	}
}

func TestJWKSDownAtStart(t *testing.T) {
	keys := testkit.NewKeys(t)
	srv := newIDServer(t, keys.JWKS())
	srv.setDown(true)
	synctest.Test(t, func(t *testing.T) {
		h := startJWT(t, jwksConfig(srv.url()), inMemory(srv))
		if h.v.Ready() {
			t.Fatal("Ready() = true without keys")
		}
		tok := testkit.Sign(t, jose.RS256, keys.RSA, "rsa-1", claimsAt(time.Now(), nil))
		_, err := check(h.v, tok)
		if !errors.Is(err, ErrUnavailable) || reasonOf(err) != ReasonUnavailable {
			t.Fatalf("err = %v, want ErrUnavailable", err)
		}
		assertNoLeak(t, err.Error(), tok)
		// A token that cannot be one is still a 401, not a 503.
		if _, err := check(h.v, "garbage"); reasonOf(err) != ReasonMalformed {
			t.Errorf("garbage while unavailable: err = %v, want malformed", err)
		}
		// Retries back off from 2 s, doubling: 2, 6 and 14 s after the start.
		time.Sleep(14 * time.Second)
		synctest.Wait()
		if got := h.fetches(triggerStartup, resultError); got < 3 {
			t.Fatalf("startup/error = %v after 14 s, want at least 3", got)
		}

		srv.setDown(false)
		time.Sleep(16 * time.Second)
		synctest.Wait()
		if !h.v.Ready() {
			t.Fatal("Ready() = false after the JWKS came back")
		}
		if _, err := check(h.v, tok); err != nil {
			t.Fatalf("after recovery: %v", err)
		}
		if got := h.fetches(triggerStartup, resultOK); got != 1 {
			t.Errorf("startup/ok = %v, want 1", got)
		}
	})
}

func TestJWKSRejectedDocuments(t *testing.T) {
	big := `{"keys":[],"pad":"` + strings.Repeat("x", maxFetchBody) + `"}`
	tests := []struct{ name, body string }{
		{"not JSON", "<html>hello</html>"},
		{"no keys", `{"keys":[]}`},
		{"only unusable keys", `{"keys":[{"kty":"oct","k":"c2VjcmV0","kid":"h"},{"kty":"XYZ","kid":"x"}]}`},
		{"larger than 1 MiB", big},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newIDServer(t, nil)
			srv.setRaw([]byte(tt.body))
			h := startJWT(t, jwksConfig(srv.url()), nil)
			if h.v.Ready() {
				t.Error("Ready() = true")
			}
			if got := h.fetches(triggerStartup, resultError); got != 1 {
				t.Errorf("startup/error = %v, want 1", got)
			}
		})
	}
}

func TestFetchBodyLimit(t *testing.T) {
	keys := testkit.NewKeys(t)
	srv := newIDServer(t, nil)
	// Valid JSON a byte over the limit: it must be refused for its size,
	// not parsed.
	head := `{"keys":[` + string(mustJSON(t, jose.JSONWebKey{Key: keys.Ed.Public(), KeyID: "ed-1"})) + `],"pad":"`
	srv.setRaw([]byte(head + strings.Repeat("x", maxFetchBody+1-len(head)-2) + `"}`))
	h := startJWT(t, jwksConfig(srv.url()), nil)
	if h.v.Ready() {
		t.Error("Ready() = true after an oversized JWKS")
	}
	if _, err := h.v.get(context.Background(), srv.url()); !errors.Is(err, errFetchTooLarge) {
		t.Errorf("get: err = %v, want errFetchTooLarge", err)
	}
	srv.setRaw([]byte(head + strings.Repeat("x", maxFetchBody-len(head)-2) + `"}`))
	if err := h.v.fetch(context.Background(), triggerRefresh); err != nil {
		t.Errorf("a JWKS of exactly 1 MiB: %v", err)
	}
}
