package upstream

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"github.com/sony/gobreaker/v2"
)

// What a whole CreateSession call tells the breaker, as gobreaker's error:
// nil when Apideck answered (a session, a 4xx, a 429, even an unusable
// body), so it is up; errBreakerFailure for a 5xx, transport error or
// timeout after retries; errBreakerIgnored when the call says nothing about
// Apideck (caller went away, no slot), which in half-open frees the probe.
var (
	errBreakerFailure = errors.New("upstream failure")
	errBreakerIgnored = errors.New("not an upstream outcome")
	errCircuitOpen    = errors.New("circuit open after repeated upstream failures")
	errProbeInFlight  = errors.New("circuit half-open, probe in flight")
)

// breaker wraps gobreaker: one "request" is one CreateSession call, retries
// included, and it remembers when it opened to tell clients when to return.
type breaker struct {
	cb       *gobreaker.TwoStepCircuitBreaker[struct{}]
	cooldown time.Duration

	mu       sync.Mutex
	openedAt time.Time
}

func newBreaker(failures int, cooldown time.Duration, gauge prometheus.Gauge, log zerolog.Logger) *breaker {
	b := &breaker{cooldown: cooldown}
	threshold := uint32(failures) // config keeps it within range
	b.cb = gobreaker.NewTwoStepCircuitBreaker[struct{}](gobreaker.Settings{
		Name:        "apideck",
		MaxRequests: 1, // exactly one probe when half-open
		Timeout:     cooldown,
		ReadyToTrip: func(c gobreaker.Counts) bool {
			return c.ConsecutiveFailures >= threshold
		},
		IsSuccessful: func(err error) bool { return err == nil },
		IsExcluded:   func(err error) bool { return errors.Is(err, errBreakerIgnored) },
		// Called with gobreaker's lock held: it must not call back into cb.
		OnStateChange: func(_ string, from, to gobreaker.State) {
			if to == gobreaker.StateOpen {
				b.mu.Lock()
				b.openedAt = time.Now()
				b.mu.Unlock()
			}
			gauge.Set(float64(to)) // gobreaker numbers its states as the gauge does
			ev := log.Info()
			if to == gobreaker.StateOpen {
				ev = log.Warn()
			}
			ev.Str("from", from.String()).Str("to", to.String()).Msg("upstream circuit changed state")
		},
	})
	gauge.Set(float64(gobreaker.StateClosed))
	return b
}

// allow admits a call, returning the function that reports its outcome
// (see breakerOutcome), or a KindCircuitOpen error telling the client when
// to come back.
func (b *breaker) allow() (func(error), *Error) {
	done, err := b.cb.Allow()
	if err == nil {
		return done, nil
	}
	if !errors.Is(err, gobreaker.ErrOpenState) {
		return nil, &Error{Kind: KindCircuitOpen, RetryAfter: defaultBusyRetry, Err: errProbeInFlight}
	}
	// Until the probe, but at least a second: clients must not hammer a
	// dead upstream.
	b.mu.Lock()
	left := b.cooldown - time.Since(b.openedAt)
	b.mu.Unlock()
	return nil, &Error{Kind: KindCircuitOpen, RetryAfter: max(left, time.Second), Err: errCircuitOpen}
}

// breakerOutcome is what a call that ended with err, for a caller whose
// context is caller, tells the breaker.
func breakerOutcome(caller context.Context, err *Error) error {
	switch {
	case err == nil:
		return nil
	case caller.Err() != nil:
		// The client went away (or its own deadline passed): not
		// Apideck's fault, and not evidence it is healthy either.
		return errBreakerIgnored
	case err.Kind == KindUnavailable || err.Kind == KindTimeout:
		return errBreakerFailure
	}
	return nil
}

// slotWait is how long a call waits for a concurrency slot before it is
// refused as busy.
const slotWait = time.Second

// slots bounds the upstream calls in flight (APIDECK_MAX_CONCURRENCY), so a
// burst of /connect requests cannot open thousands of connections to
// Apideck or pile up goroutines behind a slow upstream.
type slots struct {
	ch       chan struct{}
	inFlight prometheus.Gauge
}

// acquire takes a slot, waiting at most slotWait or until ctx is done. The
// returned release must be called exactly once when ok.
func (s *slots) acquire(ctx context.Context) (release func(), ok bool) {
	t := time.NewTimer(slotWait)
	defer t.Stop()
	select {
	case s.ch <- struct{}{}:
	case <-t.C:
		return nil, false
	case <-ctx.Done():
		return nil, false
	}
	// select picks at random when the slot and ctx are ready together; a
	// slot taken after ctx ended would only yield a doomed attempt.
	if ctx.Err() != nil {
		<-s.ch
		return nil, false
	}
	s.inFlight.Inc()
	return func() {
		s.inFlight.Dec()
		<-s.ch
	}, true
}
