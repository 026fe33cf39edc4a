package upstream

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// attempt is what one POST to Apideck taught us.
type attempt struct {
	status    int    // 0 when no response arrived
	outcome   string // metric label
	kind      Kind   // 0 on success; else the error kind should this be the last attempt
	retryable bool
	hint      time.Duration // upstream Retry-After, when hasHint
	hasHint   bool
	typeName  string // Apideck's error type_name, sanitised; may be ""
	cause     error  // safe to log
	session   Session
}

// err turns a failed attempt into the error CreateSession returns.
func (a attempt) err() *Error {
	e := &Error{Kind: a.kind, Status: a.status, Err: a.cause}
	if a.kind == KindBusy {
		e.RetryAfter = busyRetryAfter(a.hint, a.hasHint)
	}
	return e
}

// try sends one POST and classifies what came back. ctx carries the call's
// deadline.
func (c *Client) try(ctx context.Context, consumerID string, body []byte) attempt {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint, bytes.NewReader(body))
	if err != nil {
		// Only an unparsable base URL gets here, and config refuses those.
		return attempt{outcome: outcomeNetworkError, kind: KindUnavailable, cause: errors.New("cannot build the request")}
	}
	req.Header.Set("Authorization", "Bearer "+c.cfg.APIKey)
	req.Header.Set("X-Apideck-App-Id", c.cfg.AppID)
	req.Header.Set("X-Apideck-Consumer-Id", consumerID)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", userAgent)

	// The client follows no redirect: a 3xx comes back as it is and is
	// classified as an invalid response below.
	resp, err := c.http.Do(req)
	if err != nil {
		if a, done := ctxFailure(ctx, 0); done {
			return a
		}
		return attempt{outcome: outcomeNetworkError, kind: KindUnavailable, retryable: true,
			cause: fmt.Errorf("send request: %w", transportCause(err))}
	}
	defer resp.Body.Close()
	// Read (up to the limit) whatever the status: a body read to EOF lets
	// the connection go back to the pool.
	data, tooLarge, readErr := readBody(resp.Body, resp.ContentLength)
	return c.classify(ctx, resp, data, tooLarge, readErr)
}

// classify maps a response to an attempt.
func (c *Client) classify(ctx context.Context, resp *http.Response, data []byte, tooLarge bool, readErr error) attempt {
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
		a.cause = statusCause(s, a.typeName)
	}
	switch {
	case s >= 200 && s < 300:
		switch {
		case readErr != nil:
			// Truncated answer (reset mid-body): the session may exist,
			// but we cannot see it; another one is harmless.
			a.outcome, a.kind, a.retryable = outcomeNetworkError, KindUnavailable, true
			a.cause = fmt.Errorf("read body: %w", transportCause(readErr))
		case tooLarge:
			a.outcome, a.kind, a.cause = outcomeInvalidResponse, KindInvalidResponse, errBodyTooLarge
		default:
			sess, err := parseSession(data, c.vault, time.Now())
			if err != nil {
				a.outcome, a.kind, a.cause = outcomeInvalidResponse, KindInvalidResponse, err
				break
			}
			a.outcome, a.session = outcomeSuccess, sess
		}
	case s >= 300 && s < 400:
		a.outcome, a.kind, a.cause = outcomeInvalidResponse, KindInvalidResponse, errRedirectAnswered
	case s == http.StatusUnauthorized || s == http.StatusForbidden:
		a.outcome, a.kind = outcomeAuth, KindAuth
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

// statusCause is the error message for a non-2xx answer: the status and
// Apideck's type_name, never the body.
func statusCause(status int, typeName string) error {
	if typeName != "" {
		return fmt.Errorf("apideck answered %d %s", status, typeName)
	}
	return fmt.Errorf("apideck answered %d", status)
}
