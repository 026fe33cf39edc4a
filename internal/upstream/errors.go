package upstream

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// Kind classifies an upstream failure; the handler maps each kind to one
// problem code of the contract.
type Kind int

const (
	KindUnavailable     Kind = iota + 1 // 5xx or network failure after retries → upstream_unavailable 502
	KindCircuitOpen                     // breaker open → upstream_unavailable 503
	KindAuth                            // 401/403 → upstream_auth 502
	KindPaymentRequired                 // 402 → upstream_payment_required 502
	KindRejected                        // 400/404/422 (and other 4xx) → upstream_rejected 502
	KindBusy                            // 429, or no concurrency slot within 1 s → upstream_busy 503
	KindTimeout                         // deadline passed → upstream_timeout 504
	KindInvalidResponse                 // 2xx without usable session_uri/token, or foreign origin → upstream_invalid_response 502
	KindNotFound                        // 404 where it means "no such connection" → not_found 404
)

func (k Kind) String() string {
	// Indexed by Kind, in the order of the constants above.
	names := [...]string{"unknown", "unavailable", "circuit_open", "auth", "payment_required", "rejected", "busy", "timeout", "invalid_response", "not_found"}
	if k < 0 || int(k) >= len(names) {
		k = 0
	}
	return names[k]
}

// Error is every failure a Client call returns. Its message never holds the
// API key, a token or an upstream body.
type Error struct {
	Kind       Kind
	Status     int           // upstream HTTP status, 0 when none
	RetryAfter time.Duration // hint for the client (busy, circuit open); 0 when none
	Err        error         // cause, safe to log
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("upstream %s (status %d): %v", e.Kind, e.Status, e.Err)
	}
	return fmt.Sprintf("upstream %s (status %d)", e.Kind, e.Status)
}

func (e *Error) Unwrap() error { return e.Err }

// Values of the outcome label of vaultgate_upstream_requests_total: one
// per attempt (a call retried twice counts three times), and one per call
// refused before reaching Apideck (circuit_open, busy). The operation label
// says which call.
const (
	outcomeSuccess         = "success"          // 2xx with a usable answer
	outcomeAuth            = "auth"             // 401, 403
	outcomePaymentRequired = "payment_required" // 402
	outcomeRejected        = "rejected"         // 400, 404, 422 and other 4xx
	outcomeRateLimited     = "rate_limited"     // 429
	outcomeServerError     = "server_error"     // 5xx
	outcomeNetworkError    = "network_error"    // connect, TLS, reset, truncated body
	outcomeTimeout         = "timeout"          // no answer within APIDECK_TIMEOUT, or 408
	outcomeCanceled        = "canceled"         // the caller went away before the answer
	outcomeInvalidResponse = "invalid_response" // 2xx or 3xx without a usable answer
	outcomeNotFound        = "not_found"        // 404 of one connection: an answer, not a failure
	outcomeCircuitOpen     = "circuit_open"     // refused by the open circuit breaker
	outcomeBusy            = "busy"             // no concurrency slot freed in time
)

// attempt is what one request to Apideck taught us.
type attempt struct {
	status    int    // 0 when no response arrived
	outcome   string // metric label
	kind      Kind   // 0 on success; else the error kind should this be the last attempt
	retryable bool
	hint      time.Duration // upstream Retry-After, when hasHint
	hasHint   bool
	typeName  string // Apideck's error type_name, sanitised; may be ""
	cause     error  // safe to log
}

// err turns a failed attempt into the error the call returns.
func (a attempt) err() *Error {
	e := &Error{Kind: a.kind, Status: a.status, Err: a.cause}
	if a.kind == KindBusy {
		// The upstream's hint (0 when none), but at least a second: our
		// clients get whole seconds.
		e.RetryAfter = max(a.hint, defaultBusyRetry)
	}
	return e
}

// classify maps a response to cl, its body read up to the limit, to an
// attempt.
func classify(ctx context.Context, cl call, resp *http.Response, data []byte, tooLarge bool, readErr error) attempt {
	s := resp.StatusCode
	if readErr != nil {
		if a, done := ctxFailure(ctx, s); done {
			return a
		}
	}
	a := attempt{status: s}
	if s < 200 || s >= 300 {
		if !tooLarge {
			a.typeName = errorTypeName(data)
		}
		// The status and Apideck's type_name, never the body.
		a.cause = fmt.Errorf("apideck answered %d %s", s, a.typeName)
		if a.typeName == "" {
			a.cause = fmt.Errorf("apideck answered %d", s)
		}
	}
	switch {
	case s >= 200 && s < 300:
		switch {
		case readErr != nil:
			// Truncated answer (reset mid-body): a session may exist, but
			// we cannot see it; another one is harmless.
			a.outcome, a.kind, a.retryable = outcomeNetworkError, KindUnavailable, true
			a.cause = fmt.Errorf("read body: %w", transportCause(readErr))
		case tooLarge:
			a.outcome, a.kind, a.cause = outcomeInvalidResponse, KindInvalidResponse, errBodyTooLarge
		default:
			if err := cl.parse(data); err != nil {
				a.outcome, a.kind, a.cause = outcomeInvalidResponse, KindInvalidResponse, err
				break
			}
			a.outcome = outcomeSuccess
		}
	case s >= 300 && s < 400:
		a.outcome, a.kind, a.cause = outcomeInvalidResponse, KindInvalidResponse, errRedirectAnswered
	case s == http.StatusUnauthorized || s == http.StatusForbidden:
		a.outcome, a.kind = outcomeAuth, KindAuth
	case s == http.StatusNotFound && cl.notFound:
		a.outcome, a.kind = outcomeNotFound, KindNotFound
	case s == http.StatusPaymentRequired:
		a.outcome, a.kind = outcomePaymentRequired, KindPaymentRequired
	case s == http.StatusRequestTimeout:
		a.outcome, a.kind, a.retryable = outcomeTimeout, KindUnavailable, true
		a.hint, a.hasHint = retryHint(resp.Header, time.Now())
	case s == http.StatusTooManyRequests:
		// Not retried, like the official SDKs: the quota will not come back
		// within a browser's patience, and retrying only burns more of it.
		a.outcome, a.kind = outcomeRateLimited, KindBusy
		a.hint, a.hasHint = retryHint(resp.Header, time.Now())
	case s >= 400 && s < 500:
		a.outcome, a.kind = outcomeRejected, KindRejected
	case s == http.StatusInternalServerError, s == http.StatusBadGateway,
		s == http.StatusServiceUnavailable, s == http.StatusGatewayTimeout:
		a.outcome, a.kind, a.retryable = outcomeServerError, KindUnavailable, true
		a.hint, a.hasHint = retryHint(resp.Header, time.Now())
	case s >= 500 && s < 600:
		a.outcome, a.kind = outcomeServerError, KindUnavailable
	default:
		a.outcome, a.kind = outcomeInvalidResponse, KindInvalidResponse
	}
	return a
}

// ctxFailure reports a failure caused by ctx: our deadline (timeout) or the
// caller going away (canceled). done is false when ctx is still live.
func ctxFailure(ctx context.Context, status int) (a attempt, done bool) {
	if ctx.Err() == nil {
		return attempt{}, false
	}
	if context.Cause(ctx) == errDeadline {
		return attempt{status: status, outcome: outcomeTimeout, kind: KindTimeout, cause: errDeadline}, true
	}
	return attempt{status: status, outcome: outcomeCanceled, kind: KindTimeout,
		cause: fmt.Errorf("%w: %w", errCallerGone, context.Cause(ctx))}, true
}
