// Package auth works out who a /connect request comes from — a verified
// JWT, the app's own session (forward auth) or a trusted proxy's headers —
// and maps the identity's claims to the Apideck consumer.
package auth

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// Identity is an authenticated caller.
type Identity struct {
	Subject string // the user, for per-user rate limits and session reuse
	// Claims feed the consumer mapping; never log them. Numbers are json.Number
	// (ids stay exact). Read-only: cached claims are shared between requests.
	Claims map[string]any
	// Expires is the token's exp in jwt mode (zero otherwise): event
	// streams end then, so the browser authenticates again.
	Expires time.Time
}

// Reasons label vaultgate_auth_failures_total.
const (
	ReasonMissing       = "missing"
	ReasonInvalid       = "invalid"
	ReasonExpired       = "expired"
	ReasonUntrustedPeer = "untrusted_peer"
	ReasonUnavailable   = "unavailable"
)

// The two classes of failure: 401 and 503 auth_unavailable.
var (
	ErrUnauthenticated = errors.New("unauthenticated")
	ErrUnavailable     = errors.New("authentication unavailable")
)

// Error is every failure an authenticator returns. Err is a cause safe to
// log: it never holds a token, a cookie or a claim value.
type Error struct {
	Class  error  // ErrUnauthenticated or ErrUnavailable
	Reason string // one of the Reason constants
	Err    error
}

func (e *Error) Error() string { return fmt.Sprintf("%v (%s): %v", e.Class, e.Reason, e.Err) }

// Is matches the class.
func (e *Error) Is(target error) bool { return target == e.Class }

func (e *Error) Unwrap() error { return e.Err }

func unauthenticated(reason string, err error) error {
	return &Error{Class: ErrUnauthenticated, Reason: reason, Err: err}
}

func unavailable(err error) error {
	return &Error{Class: ErrUnavailable, Reason: ReasonUnavailable, Err: err}
}

// decodeObject parses exactly one JSON object (a token's claims, a
// forward-auth answer), numbers kept as json.Number.
func decodeObject(body []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var obj map[string]any
	err := dec.Decode(&obj)
	if _, end := dec.Token(); err != nil || obj == nil || !errors.Is(end, io.EOF) {
		return nil, errors.New("not a single JSON object")
	}
	return obj, nil
}

// noRedirects makes a redirect (to a login page, typically) the answer
// itself rather than something to follow.
func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
