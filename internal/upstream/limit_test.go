package upstream

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestCreateSessionBusyWithoutSlot(t *testing.T) {
	t.Parallel()
	up, tc := breakerClient(t, 0, func(c *Config) {
		c.MaxConcurrency = 1
		c.Timeout = 5 * time.Second
		c.BreakerFailures = 1 // a busy call must not count as a failure
	})
	first := make(chan error, 1)
	go func() {
		_, _, err := tc.create(t.Context())
		first <- err
	}()
	<-up.arrived
	if got := testutil.ToFloat64(tc.m.inFlight); got != 1 {
		t.Errorf("in-flight gauge %v during a call, want 1", got)
	}

	start := time.Now()
	_, res, err := tc.create(t.Context())
	waited := time.Since(start)
	e := asError(t, err)
	if e.Kind != KindBusy || e.RetryAfter != time.Second || res.Attempts != 0 {
		t.Errorf("kind %v retry %v attempts %d, want busy, 1s, no attempt", e.Kind, e.RetryAfter, res.Attempts)
	}
	// It waited for the slot before giving up (slotWait is 1s here).
	if waited < 900*time.Millisecond {
		t.Errorf("gave up after %v, want about 1s of waiting", waited)
	}
	if up.hits.Load() != 1 {
		t.Errorf("upstream hit %d times, want only the first call", up.hits.Load())
	}
	if got := tc.outcomes(outcomeBusy); got != 1 {
		t.Errorf("busy outcomes = %d, want 1", got)
	}
	checkState(t, tc, "closed", 0)

	up.free()
	if err := <-first; err != nil {
		t.Fatalf("first call: %v", err)
	}
	if got := testutil.ToFloat64(tc.m.inFlight); got != 0 {
		t.Errorf("in-flight gauge %v after the calls, want 0", got)
	}
}

func TestCreateSessionWaitsForSlot(t *testing.T) {
	t.Parallel()
	up, tc := breakerClient(t, 0, func(c *Config) { c.MaxConcurrency = 1 })
	first := make(chan error, 1)
	go func() {
		_, _, err := tc.create(t.Context())
		first <- err
	}()
	<-up.arrived
	time.AfterFunc(100*time.Millisecond, up.free)
	if _, _, err := tc.create(t.Context()); err != nil {
		t.Errorf("second call: %v, want success once the slot frees", err)
	}
	if err := <-first; err != nil {
		t.Errorf("first call: %v", err)
	}
}

func TestCreateSessionSlotWaitEndsWithCaller(t *testing.T) {
	t.Parallel()
	up, tc := breakerClient(t, 0, func(c *Config) { c.MaxConcurrency = 1 })
	go func() { _, _, _ = tc.create(t.Context()) }()
	<-up.arrived

	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	_, _, err := tc.create(ctx)
	if e := asError(t, err); e.Kind != KindTimeout || time.Since(start) > 900*time.Millisecond {
		t.Errorf("kind %v after %v, want timeout as soon as the caller left", e.Kind, time.Since(start))
	}
	if got := tc.outcomes(outcomeBusy); got != 0 {
		t.Errorf("busy outcomes = %d, want 0 for a caller that left", got)
	}
}

func TestCreateSessionSlotWaitBoundedByDeadline(t *testing.T) {
	t.Parallel()
	_, tc := breakerClient(t, 0, func(c *Config) {
		c.MaxConcurrency = 1
		c.Timeout = 200 * time.Millisecond
	})
	release, ok := tc.slots.acquire(t.Context(), 0)
	if !ok {
		t.Fatal("no slot for the test")
	}
	t.Cleanup(release)
	_, res, err := tc.create(t.Context())
	if e := asError(t, err); e.Kind != KindBusy || res.Duration > 900*time.Millisecond {
		t.Errorf("kind %v after %v, want busy within the 200ms deadline", e.Kind, res.Duration)
	}
}
