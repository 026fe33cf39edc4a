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

// Reasons say precisely why a request was refused: the access line's
// auth_reason. Label and ClientReason fold them into fewer values.
const (
	ReasonMissing       = "missing"        // no credentials at all
	ReasonExpired       = "expired"        // past exp, beyond the clock skew
	ReasonNotYetValid   = "not_yet_valid"  // nbf or iat in the future, beyond the clock skew
	ReasonSignature     = "signature"      // no trusted key verifies it (unknown kid, wrong key, tampered)
	ReasonAlgorithm     = "algorithm"      // alg outside AUTH_ALGORITHMS ("none" included)
	ReasonIssuer        = "issuer"         // iss is not AUTH_ISSUER
	ReasonAudience      = "audience"       // aud does not name AUTH_AUDIENCE
	ReasonMalformed     = "malformed"      // not a single Bearer token, not a JWS, or claims of the wrong shape
	ReasonUntrustedPeer = "untrusted_peer" // identity headers from outside AUTH_TRUSTED_PROXIES
	ReasonAppRefused    = "app_refused"    // the forward-auth endpoint answered 401 or 403
	ReasonUnavailable   = "unavailable"    // keys or the forward-auth endpoint out of reach
	ReasonInvalid       = "invalid"        // any other refusal
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
	Token  bool   // a bearer token was presented and refused (RFC 6750 invalid_token)
	Err    error
}

func (e *Error) Error() string { return fmt.Sprintf("%v (%s): %v", e.Class, e.Reason, e.Err) }

// Is matches the class.
func (e *Error) Is(target error) bool { return target == e.Class }

func (e *Error) Unwrap() error { return e.Err }

// Label is the reason as vaultgate_auth_failures_total counts it: missing,
// expired, untrusted_peer, unavailable or invalid. The precise reasons are
// for logs; a few coarse labels keep the series few and alerts stable.
func (e *Error) Label() string {
	switch e.Reason {
	case ReasonMissing, ReasonExpired, ReasonUntrustedPeer, ReasonUnavailable:
		return e.Reason
	}
	return ReasonInvalid
}

// ClientReason is what the client is told: missing, expired (refresh the
// token and retry) or invalid. The precise cause helps an attacker probing
// keys more than it helps a frontend.
func (e *Error) ClientReason() string {
	if e.Reason == ReasonMissing || e.Reason == ReasonExpired {
		return e.Reason
	}
	return ReasonInvalid
}

func unauthenticated(reason string, err error) error {
	return &Error{Class: ErrUnauthenticated, Reason: reason, Err: err}
}

// refused is a presented bearer token refused for reason.
func refused(reason string, err error) error {
	return &Error{Class: ErrUnauthenticated, Reason: reason, Token: true, Err: err}
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
