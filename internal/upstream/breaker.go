package upstream

import (
	"errors"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"github.com/sony/gobreaker/v2"
)

// verdict is what one whole CreateSession call tells the breaker.
type verdict int

const (
	// verdictHealthy: Apideck answered (a session, a 4xx, a 429, even an
	// unusable body), so it is up.
	verdictHealthy verdict = iota
	// verdictFailure: 5xx, transport error or timeout after retries.
	verdictFailure
	// verdictIgnored: the call says nothing about Apideck (caller went
	// away, no concurrency slot); in half-open it frees the probe.
	verdictIgnored
)

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
			gauge.Set(stateValue(to))
			ev := log.Info()
			if to == gobreaker.StateOpen {
				ev = log.Warn()
			}
			ev.Str("from", from.String()).Str("to", to.String()).Msg("upstream circuit changed state")
		},
	})
	gauge.Set(stateValue(gobreaker.StateClosed))
	return b
}

// allow admits a call, returning the function that reports its outcome
// (pass it verdict.outcome()), or a KindCircuitOpen error telling the
// client when to come back.
func (b *breaker) allow() (func(error), *Error) {
	done, err := b.cb.Allow()
	if err == nil {
		return done, nil
	}
	if errors.Is(err, gobreaker.ErrOpenState) {
		return nil, &Error{Kind: KindCircuitOpen, RetryAfter: b.remaining(), Err: errCircuitOpen}
	}
	return nil, &Error{Kind: KindCircuitOpen, RetryAfter: defaultBusyRetry, Err: errProbeInFlight}
}

// remaining is the time left until the open circuit lets a probe through,
// at least a second so clients never hammer a dead upstream.
func (b *breaker) remaining() time.Duration {
	b.mu.Lock()
	left := b.cooldown - time.Since(b.openedAt)
	b.mu.Unlock()
	return max(left, time.Second)
}

// state is "closed", "half-open" or "open".
func (b *breaker) state() string { return b.cb.State().String() }

// outcome is how gobreaker is told about a call with this verdict.
func (v verdict) outcome() error {
	switch v {
	case verdictFailure:
		return errBreakerFailure
	case verdictIgnored:
		return errBreakerIgnored
	}
	return nil
}

// stateValue maps a state to the vaultgate_upstream_circuit_state gauge.
func stateValue(s gobreaker.State) float64 {
	switch s {
	case gobreaker.StateHalfOpen:
		return 1
	case gobreaker.StateOpen:
		return 2
	}
	return 0
}
