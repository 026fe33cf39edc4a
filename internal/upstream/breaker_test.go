package upstream

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// switchable is a fake upstream whose answer tests change between calls:
// mode is a status (200 = a valid session) or 0 to hang until the request
// ends or release is closed (then answer 200).
type switchable struct {
	mode    atomic.Int32
	hits    atomic.Int32
	arrived chan struct{} // one value per request, dropped when full
	release chan struct{}
	once    sync.Once
}

// free lets hanging requests answer; safe to call more than once.
func (s *switchable) free() { s.once.Do(func() { close(s.release) }) }

// breakerClient serves a switchable upstream to a client with no retries,
// a 3-failure breaker and a 250ms cooldown, then applies mutate.
func breakerClient(t *testing.T, mode int, mutate func(*Config)) (*switchable, testClient) {
	t.Helper()
	s := &switchable{arrived: make(chan struct{}, 64), release: make(chan struct{})}
	s.mode.Store(int32(mode))
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		select {
		case s.arrived <- struct{}{}:
		default:
		}
		switch m := int(s.mode.Load()); m {
		case 0:
			hang(s.release, r)
			okHandler(w, r)
		case 200:
			okHandler(w, r)
		default:
			w.WriteHeader(m)
		}
	})
	t.Cleanup(s.free)
	tc := newTestClient(t, srv, func(c *Config) {
		c.MaxRetries = 0
		c.BreakerFailures = 3
		c.BreakerCooldown = 250 * time.Millisecond
		if mutate != nil {
			mutate(c)
		}
	})
	return s, tc
}

// checkState asserts the breaker state and its gauge.
func checkState(t *testing.T, tc testClient, want string, gauge float64) {
	t.Helper()
	if got := tc.breaker.cb.State().String(); got != want {
		t.Errorf("circuit %s, want %s", got, want)
	}
	if got := testutil.ToFloat64(tc.m.circuit); got != gauge {
		t.Errorf("circuit gauge %v, want %v", got, gauge)
	}
}

// failN makes n calls that must fail with kind.
func failN(t *testing.T, tc testClient, n int, kind Kind) {
	t.Helper()
	for i := range n {
		if _, _, err := tc.create(t.Context()); asError(t, err).Kind != kind {
			t.Fatalf("call %d: %v, want %v", i, err, kind)
		}
	}
}

func TestBreakerOpensThenProbes(t *testing.T) {
	t.Parallel()
	up, tc := breakerClient(t, 500, nil)
	checkState(t, tc, "closed", 0)
	failN(t, tc, 3, KindUnavailable)
	checkState(t, tc, "open", 2)

	before := up.hits.Load()
	_, res, err := tc.create(t.Context())
	e := asError(t, err)
	if e.Kind != KindCircuitOpen || e.RetryAfter != time.Second || res.Attempts != 0 {
		t.Errorf("kind %v retry %v attempts %d, want circuit_open, 1s, 0", e.Kind, e.RetryAfter, res.Attempts)
	}
	if up.hits.Load() != before {
		t.Error("open circuit let a request through")
	}
	if got := tc.outcomes(outcomeCircuitOpen); got != 1 {
		t.Errorf("circuit_open outcomes = %d, want 1", got)
	}

	time.Sleep(300 * time.Millisecond)
	checkState(t, tc, "half-open", 1)
	up.mode.Store(200)
	if _, _, err := tc.create(t.Context()); err != nil {
		t.Fatalf("probe: %v", err)
	}
	checkState(t, tc, "closed", 0)
}

func TestBreakerFailedProbeReopens(t *testing.T) {
	t.Parallel()
	_, tc := breakerClient(t, 503, nil)
	failN(t, tc, 3, KindUnavailable)
	time.Sleep(300 * time.Millisecond)
	failN(t, tc, 1, KindUnavailable) // the probe
	checkState(t, tc, "open", 2)
}

func TestBreakerLetsOneProbeThrough(t *testing.T) {
	t.Parallel()
	up, tc := breakerClient(t, 500, nil)
	failN(t, tc, 3, KindUnavailable)
	time.Sleep(300 * time.Millisecond)
	for len(up.arrived) > 0 {
		<-up.arrived
	}

	up.mode.Store(0) // the probe hangs until released
	probe := make(chan error, 1)
	go func() {
		_, _, err := tc.create(t.Context())
		probe <- err
	}()
	<-up.arrived
	hits := up.hits.Load()
	failN(t, tc, 2, KindCircuitOpen)
	if up.hits.Load() != hits {
		t.Error("a second request passed the half-open circuit")
	}
	up.free()
	if err := <-probe; err != nil {
		t.Fatalf("probe: %v", err)
	}
	checkState(t, tc, "closed", 0)
}

func TestBreakerIgnoresAnswers(t *testing.T) {
	t.Parallel()
	// Apideck answering, even unhelpfully, is not an outage.
	for _, status := range []int{400, 401, 402, 404, 422, 429, 302} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			t.Parallel()
			_, tc := breakerClient(t, status, func(c *Config) { c.BreakerFailures = 2 })
			for range 5 {
				_, _, _ = tc.create(t.Context())
			}
			checkState(t, tc, "closed", 0)
		})
	}
}

func TestBreakerNeedsConsecutiveFailures(t *testing.T) {
	t.Parallel()
	up, tc := breakerClient(t, 500, nil)
	failN(t, tc, 2, KindUnavailable)
	up.mode.Store(200)
	if _, _, err := tc.create(t.Context()); err != nil {
		t.Fatal(err)
	}
	up.mode.Store(500)
	failN(t, tc, 2, KindUnavailable)
	checkState(t, tc, "closed", 0)
	failN(t, tc, 1, KindUnavailable)
	checkState(t, tc, "open", 2)
}

func TestBreakerCountsTimeouts(t *testing.T) {
	t.Parallel()
	_, tc := breakerClient(t, 0, func(c *Config) { c.Timeout = 100 * time.Millisecond })
	failN(t, tc, 3, KindTimeout)
	checkState(t, tc, "open", 2)
}

func TestBreakerRetryAfterIsRemainingCooldown(t *testing.T) {
	t.Parallel()
	_, tc := breakerClient(t, 500, func(c *Config) { c.BreakerCooldown = 30 * time.Second })
	failN(t, tc, 3, KindUnavailable)
	_, _, err := tc.create(t.Context())
	e := asError(t, err)
	if e.Kind != KindCircuitOpen || e.RetryAfter <= 25*time.Second || e.RetryAfter > 30*time.Second {
		t.Errorf("kind %v retry %v, want circuit_open with about 30s left", e.Kind, e.RetryAfter)
	}
}

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
	// It waited for the slot before giving up (slotWait is 1s).
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
	if !tc.slots.acquire(t.Context()) {
		t.Fatal("no slot for the test")
	}
	t.Cleanup(tc.slots.release)
	_, res, err := tc.create(t.Context())
	if e := asError(t, err); e.Kind != KindBusy || res.Duration > 900*time.Millisecond {
		t.Errorf("kind %v after %v, want busy within the 200ms deadline", e.Kind, res.Duration)
	}
}
