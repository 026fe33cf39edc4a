package upstream

import (
	"fmt"
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
)

func (k Kind) String() string {
	switch k {
	case KindUnavailable:
		return "unavailable"
	case KindCircuitOpen:
		return "circuit_open"
	case KindAuth:
		return "auth"
	case KindPaymentRequired:
		return "payment_required"
	case KindRejected:
		return "rejected"
	case KindBusy:
		return "busy"
	case KindTimeout:
		return "timeout"
	case KindInvalidResponse:
		return "invalid_response"
	}
	return "unknown"
}

// Error is every failure CreateSession returns. Its message never holds the
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
