package ratelimit

import (
	"math/rand/v2"
	"testing"
	"time"
)

// TestNeverMoreThanN drives the limiter with random traffic over simulated
// time and checks each decision against an exact oracle computed from the
// calls allowed so far: a call is allowed if and only if fewer than N
// allowed calls lie in the 60 s before it, and RetryAfter is when the oldest
// of those leaves. Then it checks the promise directly: no 60 s window holds
// more than N allowed calls.
func TestNeverMoreThanN(t *testing.T) {
	t.Parallel()
	const window = time.Minute
	for seed := range uint64(40) {
		rng := rand.New(rand.NewPCG(seed, 0x5eed))
		limit := 1 + rng.IntN(12)
		keys := 1 + rng.IntN(4)
		m, clk := newFake(t, limit, window)
		start := clk.Now()
		history := make([][]time.Duration, keys)

		for range 3000 {
			switch r := rng.IntN(100); {
			case r < 30: // bursts: several calls at the same instant
			case r < 95:
				clk.Advance(time.Duration(rng.Int64N(int64(window / time.Duration(limit)))))
			default:
				clk.Advance(time.Duration(rng.Int64N(int64(2 * window))))
			}
			k := rng.IntN(keys)
			now := clk.Now().Sub(start)
			got := allow(t, m, string(rune('a'+k)))

			var inWindow []time.Duration
			for _, at := range history[k] {
				if now-at < window {
					inWindow = append(inWindow, at)
				}
			}
			wantAllowed := len(inWindow) < limit
			if got.Allowed != wantAllowed {
				t.Fatalf("seed %d, key %d at %v: Allowed = %v with %d of %d in window",
					seed, k, now, got.Allowed, len(inWindow), limit)
			}
			if got.Allowed {
				if got.Remaining != limit-len(inWindow)-1 {
					t.Fatalf("seed %d: Remaining = %d, want %d", seed, got.Remaining, limit-len(inWindow)-1)
				}
				history[k] = append(history[k], now)
				continue
			}
			if want := inWindow[0] + window - now; got.RetryAfter != want {
				t.Fatalf("seed %d at %v: RetryAfter = %v, want %v", seed, now, got.RetryAfter, want)
			}
		}

		for k, h := range history {
			// h is in time order; N+1 calls within one window would put
			// h[i] and h[i+limit] less than a window apart.
			for i := 0; i+limit < len(h); i++ {
				if h[i+limit]-h[i] < window {
					t.Fatalf("seed %d, key %d: %d calls allowed within %v (from %v)",
						seed, k, limit+1, h[i+limit]-h[i], h[i])
				}
			}
			if len(h) <= limit {
				t.Fatalf("seed %d, key %d: only %d calls allowed; the test never reached the limit", seed, k, len(h))
			}
		}
	}
}
