package upstream

import (
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

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
