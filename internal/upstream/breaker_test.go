package upstream

import (
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
	if got := tc.CircuitState(); got != want {
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
