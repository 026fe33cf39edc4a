package state

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
)

// allow calls l.Allow and fails the test on error.
func allow(t testing.TB, l Limiter, key string) Decision {
	t.Helper()
	d, err := l.Allow(context.Background(), key)
	if err != nil {
		t.Fatalf("Allow(%q) error = %v", key, err)
	}
	return d
}

// step is one call in a scripted scenario: let time pass, then call.
type step struct {
	advance time.Duration
	key     string
	want    Decision
}

func TestAllowScenarios(t *testing.T) {
	t.Parallel()
	const w = time.Minute
	tests := []struct {
		name  string
		limit int
		steps []step
	}{
		{
			name:  "exactly N then refused",
			limit: 3,
			steps: []step{
				{0, "u", Decision{Allowed: true, Remaining: 2}},
				{time.Second, "u", Decision{Allowed: true, Remaining: 1}},
				{time.Second, "u", Decision{Allowed: true, Remaining: 0}},
				{8 * time.Second, "u", Decision{RetryAfter: 50 * time.Second}},
				{49 * time.Second, "u", Decision{RetryAfter: time.Second}},
			},
		},
		{
			name:  "window slides one at a time",
			limit: 2,
			steps: []step{
				{0, "u", Decision{Allowed: true, Remaining: 1}},
				{10 * time.Second, "u", Decision{Allowed: true, Remaining: 0}},
				{50*time.Second - time.Nanosecond, "u", Decision{RetryAfter: time.Nanosecond}},
				// The first call leaves the window exactly 60 s after it.
				{time.Nanosecond, "u", Decision{Allowed: true, Remaining: 0}},
				{0, "u", Decision{RetryAfter: 10 * time.Second}},
				{10 * time.Second, "u", Decision{Allowed: true, Remaining: 0}},
				{0, "u", Decision{RetryAfter: 50 * time.Second}},
			},
		},
		{
			name:  "refused calls are not recorded",
			limit: 1,
			steps: []step{
				{0, "u", Decision{Allowed: true, Remaining: 0}},
				{30 * time.Second, "u", Decision{RetryAfter: 30 * time.Second}},
				{29 * time.Second, "u", Decision{RetryAfter: time.Second}},
				{time.Second, "u", Decision{Allowed: true, Remaining: 0}},
			},
		},
		{
			name:  "keys are independent",
			limit: 1,
			steps: []step{
				{0, "a", Decision{Allowed: true, Remaining: 0}},
				{0, "b", Decision{Allowed: true, Remaining: 0}},
				{0, "a", Decision{RetryAfter: w}},
				{0, "", Decision{Allowed: true, Remaining: 0}},
			},
		},
		{
			name:  "idle key starts afresh",
			limit: 2,
			steps: []step{
				{0, "u", Decision{Allowed: true, Remaining: 1}},
				{0, "u", Decision{Allowed: true, Remaining: 0}},
				{time.Hour, "u", Decision{Allowed: true, Remaining: 1}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				m := newMemoryLimiter(tt.limit, w)
				for i, s := range tt.steps {
					time.Sleep(s.advance)
					got := allow(t, m, s.key)
					if diff := cmp.Diff(s.want, got); diff != "" {
						t.Fatalf("step %d (key %q): decision mismatch (-want +got):\n%s", i, s.key, diff)
					}
				}
			})
		})
	}
}

// TestConcurrent runs many goroutines against shared and private keys. With
// a window no test outlives, exactly limit calls per key may succeed.
func TestConcurrent(t *testing.T) {
	t.Parallel()
	const (
		limit      = 50
		goroutines = 16
		calls      = 40
	)
	m := newMemoryLimiter(limit, time.Hour)
	var mu sync.Mutex
	allowed := map[string]int{}
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range calls {
				for _, key := range []string{"shared", fmt.Sprintf("own-%d", g)} {
					d, err := m.Allow(context.Background(), key)
					if err != nil {
						t.Errorf("Allow error = %v", err)
						return
					}
					if d.Allowed {
						mu.Lock()
						allowed[key]++
						mu.Unlock()
					} else if d.RetryAfter <= 0 || d.RetryAfter > time.Hour {
						t.Errorf("call %d: RetryAfter = %v out of (0, 1h]", i, d.RetryAfter)
					}
				}
			}
		})
	}
	wg.Wait()
	if allowed["shared"] != limit {
		t.Errorf("shared key: %d calls allowed, want %d", allowed["shared"], limit)
	}
	for g := range goroutines {
		if n := allowed[fmt.Sprintf("own-%d", g)]; n != calls {
			t.Errorf("own-%d: %d calls allowed, want %d", g, n, calls)
		}
	}
}

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
		synctest.Test(t, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 0x5eed))
			limit := 1 + rng.IntN(12)
			keys := 1 + rng.IntN(4)
			m := newMemoryLimiter(limit, window)
			start := time.Now()
			history := make([][]time.Duration, keys)

			for range 3000 {
				switch r := rng.IntN(100); {
				case r < 30: // bursts: several calls at the same instant
				case r < 95:
					time.Sleep(time.Duration(rng.Int64N(int64(window / time.Duration(limit)))))
				default:
					time.Sleep(time.Duration(rng.Int64N(int64(2 * window))))
				}
				k := rng.IntN(keys)
				now := time.Since(start)
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
		})
	}
}

// keys counts the keys m tracks.
func (m *memoryLimiter) keys() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.logs)
}

func TestSweepRemovesIdleKeys(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		const w = time.Minute
		m := newMemoryLimiter(3, w)
		for i := range 1000 {
			allow(t, m, fmt.Sprintf("flood-%d", i))
		}
		allow(t, m, "active")
		time.Sleep(30 * time.Second)
		allow(t, m, "active")
		// Flood keys and the active key's first call are now exactly a
		// window old; the active key's second call still counts.
		time.Sleep(30 * time.Second)

		m.sweep()
		if n := m.keys(); n != 1 {
			t.Fatalf("after sweep: %d keys, want 1 (the active one)", n)
		}
		// The survivor still counts its call.
		if d := allow(t, m, "active"); d.Remaining != 1 {
			t.Errorf("active key Remaining = %d, want 1", d.Remaining)
		}
		time.Sleep(30 * time.Second) // now only the call just made counts
		m.sweep()
		if n := m.keys(); n != 1 {
			t.Fatalf("sweep dropped a key with a call in the window")
		}
		time.Sleep(w)
		m.sweep()
		if n := m.keys(); n != 0 {
			t.Errorf("after the last sweep: %d keys, want 0", n)
		}
	})
}

// TestKeyCapEvictsLeastRecentlyAsked: a flood of distinct addresses keeps
// memory bounded, an active key keeps its count, and a new key is still
// counted when the limiter is full.
func TestKeyCapEvictsLeastRecentlyAsked(t *testing.T) {
	t.Parallel()
	m := newMemoryLimiter(2, time.Hour)
	m.maxKeys = 100
	allow(t, m, "active")
	allow(t, m, "active")
	for i := range 10_000 {
		allow(t, m, fmt.Sprintf("2001:db8:%x::/64", i))
		if i%50 == 0 && allow(t, m, "active").Allowed {
			t.Fatalf("after %d flood keys the active key got a fresh budget", i)
		}
	}
	if n := m.keys(); n != 100 {
		t.Fatalf("%d keys remembered, want the cap of 100", n)
	}
	// A new key while full: counted, so refused after its budget.
	allow(t, m, "newcomer")
	allow(t, m, "newcomer")
	if allow(t, m, "newcomer").Allowed {
		t.Fatal("a new key was let through beyond its budget while the limiter was full")
	}
}

// TestRun checks that run sweeps on its own and returns when ctx ends.
func TestRun(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		const w = time.Minute
		m := newMemoryLimiter(1, w)
		allow(t, m, "a")
		allow(t, m, "b")

		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			m.run(ctx)
		}()
		time.Sleep(w - time.Nanosecond)
		synctest.Wait()
		if n := m.keys(); n != 2 {
			t.Fatalf("before the first tick: %d keys, want 2", n)
		}
		time.Sleep(time.Nanosecond)
		synctest.Wait()
		if n := m.keys(); n != 0 {
			t.Fatalf("Run did not sweep idle keys: %d left", n)
		}
		cancel()
		select {
		case <-done:
		case <-time.After(time.Hour):
			t.Fatal("Run did not return after cancel")
		}
	})
}

func BenchmarkAllow(b *testing.B) {
	m := newMemoryLimiter(30, time.Minute)
	keys := make([]string, 1024)
	for i := range keys {
		keys[i] = fmt.Sprintf("user-%d", i)
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			_, _ = m.Allow(ctx, keys[i%len(keys)])
			i++
		}
	})
}
