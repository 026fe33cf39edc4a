package app

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"runtime"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/vaultgate/vaultgate/internal/testkit"
)

// randomKIDTokens mints n tokens that are right in every claim but signed
// by a key the JWKS does not hold, each naming a different made-up kid: the
// shape of a flood meant to make the service hammer its identity provider.
func (s *stack) randomKIDTokens(tb testing.TB, n int) []string {
	tb.Helper()
	key := testkit.NewKeys(tb).EC
	now := time.Now()
	claims := map[string]any{
		"iss": s.simURL + "/idp", "aud": testAudience, "sub": "u-mallory",
		"exp": now.Add(time.Hour).Unix(), "iat": now.Unix(),
	}
	out := make([]string, n)
	for i := range out {
		kid := make([]byte, 8)
		_, _ = rand.Read(kid)
		out[i] = testkit.Sign(tb, jose.ES256, key, hex.EncodeToString(kid), claims)
	}
	return out
}

// floodClient keeps enough idle connections for the flood's workers, so the
// flood measures the service, not connection churn.
func floodClient(tb testing.TB, workers int) *http.Client {
	tr := &http.Transport{MaxIdleConns: workers, MaxIdleConnsPerHost: workers, IdleConnTimeout: 30 * time.Second}
	tb.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// stableGoroutines waits (briefly) until the goroutine count holds still
// for one poll, and returns it: the baseline before a flood.
func stableGoroutines() int {
	n := runtime.NumGoroutine()
	for range 40 {
		time.Sleep(50 * time.Millisecond)
		next := runtime.NumGoroutine()
		if next == n {
			return n
		}
		n = next
	}
	return n
}

// goroutinesAtMost waits up to within for the goroutine count to fall to
// target and returns the last count seen.
func goroutinesAtMost(target int, within time.Duration) int {
	n := runtime.NumGoroutine()
	for deadline := time.Now().Add(within); n > target && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
		n = runtime.NumGoroutine()
	}
	return n
}
