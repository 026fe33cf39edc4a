package ratelimit

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fakeClock is a settable clock for simulated time.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// newFake returns a limiter driven by a fake clock.
func newFake(t testing.TB, limit int, window time.Duration) (*Memory, *fakeClock) {
	t.Helper()
	clk := &fakeClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	m := NewMemory(limit, window)
	m.now = clk.Now
	m.start = clk.Now()
	return m, clk
}

// allow calls m.Allow and fails the test on error.
func allow(t testing.TB, m *Memory, key string) Decision {
	t.Helper()
	d, err := m.Allow(context.Background(), key)
	if err != nil {
		t.Fatalf("Allow(%q) error = %v", key, err)
	}
	return d
}

// step is one call in a scripted scenario: advance the clock, then call.
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
		{
			name:  "limit 0 is unlimited",
			limit: 0,
			steps: []step{
				{0, "u", Decision{Allowed: true, Remaining: -1}},
				{0, "u", Decision{Allowed: true, Remaining: -1}},
				{0, "u", Decision{Allowed: true, Remaining: -1}},
			},
		},
		{
			name:  "negative limit is unlimited",
			limit: -5,
			steps: []step{
				{0, "u", Decision{Allowed: true, Remaining: -1}},
				{0, "u", Decision{Allowed: true, Remaining: -1}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, clk := newFake(t, tt.limit, w)
			for i, s := range tt.steps {
				clk.Advance(s.advance)
				got := allow(t, m, s.key)
				if diff := cmp.Diff(s.want, got); diff != "" {
					t.Fatalf("step %d (key %q): decision mismatch (-want +got):\n%s", i, s.key, diff)
				}
			}
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
	m := NewMemory(limit, time.Hour)
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
