package upstream

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
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

// acquire takes a slot, waiting at most slotWait or until ctx is done.
// When it reports true, release must be called exactly once.
func (s *slots) acquire(ctx context.Context) bool {
	select {
	case s.ch <- struct{}{}: // a free slot: no timer to make
	default:
		t := time.NewTimer(slotWait)
		defer t.Stop()
		select {
		case s.ch <- struct{}{}:
		case <-t.C:
			return false
		case <-ctx.Done():
			return false
		}
	}
	// A slot taken after ctx ended (select picks at random when both are
	// ready) would only yield a doomed attempt.
	if ctx.Err() != nil {
		<-s.ch
		return false
	}
	s.inFlight.Inc()
	return true
}

func (s *slots) release() {
	s.inFlight.Dec()
	<-s.ch
}

const (
	// defaultBackoffBase is the official SDKs' first delay; later ones grow
	// by attempt^1.5.
	defaultBackoffBase = 500 * time.Millisecond
	// minAttemptTime is the least time worth giving a retry: waiting so long
	// that the next attempt is cut off by the deadline only turns a clear
	// "unavailable" into a vaguer "timeout".
	minAttemptTime = 100 * time.Millisecond
	// maxRetryHint caps what an upstream Retry-After can make us wait or
	// tell our own clients.
	maxRetryHint = 5 * time.Minute
	// defaultBusyRetry is the Retry-After for a 429 without a hint, a call
	// without a slot, and a half-open circuit whose probe is in flight.
	defaultBusyRetry = time.Second
)

// backoff is the delay before retry number attempt (1 for the first retry):
// base*attempt^1.5 with equal jitter, so concurrent callers spread out but
// never retry at once.
func backoff(base time.Duration, attempt int) time.Duration {
	d := float64(base) * math.Pow(float64(attempt), 1.5)
	half := d / 2
	return time.Duration(half + rand.Float64()*half)
}

// retryDelay decides how long to wait before the next attempt, given the
// upstream's hint (if any), our computed backoff and the time left before
// the deadline. ok is false when no retry fits.
func retryDelay(hint time.Duration, hasHint bool, backoff, remaining time.Duration) (delay time.Duration, ok bool) {
	if hasHint {
		// The upstream asked for this wait; waiting less would be rude and
		// likely fail again, so a hint that does not fit ends the retries.
		return hint, hint+minAttemptTime <= remaining
	}
	// Never wait more than half the time left, so the attempt gets the rest.
	delay = min(backoff, remaining/2)
	return delay, remaining-delay >= minAttemptTime
}

// retryHint reads retry-after-ms (milliseconds, as Apideck's SDKs do) or
// Retry-After (delta-seconds or an HTTP date). Negative or unparsable values
// count as absent; large ones are capped at maxRetryHint.
func retryHint(h http.Header, now time.Time) (time.Duration, bool) {
	// In float64 nanoseconds, so that a huge value is capped, not overflowed.
	parse := func(v string, unit time.Duration) (time.Duration, bool) {
		n, err := strconv.ParseFloat(v, 64)
		if err != nil || !(n >= 0) || math.IsInf(n, 0) {
			return 0, false
		}
		return time.Duration(min(n*float64(unit), float64(maxRetryHint))), true
	}
	if d, ok := parse(strings.TrimSpace(h.Get("retry-after-ms")), time.Millisecond); ok {
		return d, true
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if d, ok := parse(v, time.Second); ok {
		return d, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return min(max(t.Sub(now), 0), maxRetryHint), true
	}
	return 0, false
}
