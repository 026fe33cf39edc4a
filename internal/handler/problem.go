package handler

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/rs/zerolog"

	"github.com/vaultgate/vaultgate/internal/auth"
	"github.com/vaultgate/vaultgate/internal/upstream"
)

// requestError is a refusal decided in this package: bad options, a browser
// guard, a rate limit, an unknown route. detail is a fixed sentence for the
// client; err is the cause, logged but never shown.
type requestError struct {
	code       string
	status     int
	detail     string
	retryAfter time.Duration // sent as Retry-After when code is rate_limited
	err        error
}

func (e *requestError) Error() string {
	if e.err != nil {
		return e.code + ": " + e.err.Error()
	}
	return e.code
}

func (e *requestError) Unwrap() error { return e.err }

// invalid builds a 400 requestError.
func invalid(code, detail string, cause error) *requestError {
	return &requestError{code: code, status: http.StatusBadRequest, detail: detail, err: cause}
}

// problem is how one error is answered and logged.
type problem struct {
	status     int
	code       string
	detail     string
	retryAfter time.Duration
	withRetry  bool // send Retry-After even when retryAfter is 0
	level      zerolog.Level
	logMsg     string
}

// classify maps an error to its problem. The detail strings are fixed:
// nothing of err (which may come from a token parser or an upstream body)
// reaches the client.
func classify(err error) problem {
	var re *requestError
	var ue *upstream.Error
	switch {
	case errors.As(err, &re):
		return problem{status: re.status, code: re.code, detail: re.detail,
			retryAfter: re.retryAfter, withRetry: re.code == codeRateLimited,
			level: zerolog.DebugLevel, logMsg: "request refused"}
	case errors.Is(err, auth.ErrUnavailable):
		return problem{
			status: http.StatusServiceUnavailable, code: codeAuthUnavailable,
			detail: "The identity provider could not be reached; try again shortly.",
			level:  zerolog.WarnLevel, logMsg: "authentication unavailable",
		}
	case errors.Is(err, auth.ErrUnauthenticated):
		return problem{
			status: http.StatusUnauthorized, code: codeUnauthenticated,
			detail: "Sign in first: the request carries no valid credentials.",
			level:  zerolog.DebugLevel, logMsg: "request unauthenticated",
		}
	case errors.Is(err, auth.ErrNoConsumer):
		return problem{
			status: http.StatusForbidden, code: codeNoConsumer,
			detail: "Your account is not linked to a consumer that can connect integrations.",
			level:  zerolog.InfoLevel, logMsg: "identity has no usable consumer id",
		}
	case errors.As(err, &ue):
		return upstreamProblem(ue)
	case errors.Is(err, context.DeadlineExceeded):
		return upstreamProblem(&upstream.Error{Kind: upstream.KindTimeout, Err: err})
	}
	return problem{status: http.StatusInternalServerError, code: codeInternal,
		detail: "An unexpected error occurred.", level: zerolog.ErrorLevel, logMsg: "internal error"}
}

// upstreamProblem maps an upstream failure kind to its code. Failures that
// point at our configuration or Apideck's health log at error; those caused
// by the request or by load at warn.
func upstreamProblem(e *upstream.Error) problem {
	p := problem{status: http.StatusBadGateway, level: zerolog.ErrorLevel, logMsg: "creating the Vault session failed"}
	switch e.Kind {
	case upstream.KindAuth:
		p.code, p.detail = codeUpstreamAuth, "The integration service refused this server's credentials."
		p.logMsg = "Apideck refused our API key or app id"
	case upstream.KindPaymentRequired:
		p.code, p.detail = codeUpstreamPaymentRequired, "The integration service's request limit has been reached."
		p.level = zerolog.WarnLevel
	case upstream.KindRejected:
		p.code, p.detail = codeUpstreamRejected, "The integration service rejected the session request."
		p.level = zerolog.WarnLevel
	case upstream.KindBusy:
		p.status, p.code, p.detail = http.StatusServiceUnavailable, codeUpstreamBusy, "The integration service is busy; try again shortly."
		p.retryAfter, p.withRetry, p.level = e.RetryAfter, true, zerolog.WarnLevel
	case upstream.KindCircuitOpen:
		p.status, p.code, p.detail = http.StatusServiceUnavailable, codeUpstreamUnavailable, "The integration service is unavailable; try again shortly."
		p.retryAfter, p.withRetry, p.level = e.RetryAfter, true, zerolog.WarnLevel
	case upstream.KindTimeout:
		p.status, p.code, p.detail = http.StatusGatewayTimeout, codeUpstreamTimeout, "The integration service did not answer in time."
	case upstream.KindInvalidResponse:
		p.code, p.detail = codeUpstreamInvalidResponse, "The integration service sent an unusable answer."
	default: // KindUnavailable and anything unknown
		p.code, p.detail = codeUpstreamUnavailable, "The integration service is unavailable; try again shortly."
	}
	return p
}

// problemBody is the RFC 9457 body, members in the contract's order.
type problemBody struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail"`
	Code      string `json:"code"`
	RequestID string `json:"request_id"`
}

// problems is the one place errors become responses.
type problems struct {
	login *url.URL // AUTH_LOGIN_URL; nil when unset
}

func newProblems(loginURL string) problems {
	if loginURL == "" {
		return problems{}
	}
	u, err := url.Parse(loginURL)
	if err != nil {
		// Configuration validates the URL; an unparsable one degrades to 401.
		return problems{}
	}
	return problems{login: u}
}

// write answers r with the problem for err and logs err once.
func (p problems) write(w http.ResponseWriter, r *http.Request, err error) {
	pr := classify(err)
	stateFrom(r.Context()).code = pr.code
	zerolog.Ctx(r.Context()).WithLevel(pr.level).Err(err).Str("code", pr.code).Msg(pr.logMsg)

	h := w.Header()
	if pr.code == codeUnauthenticated {
		if p.login != nil && isNavigation(r) {
			h.Set("Location", p.loginLocation(r))
			w.WriteHeader(http.StatusFound)
			return
		}
		h.Set("WWW-Authenticate", "Bearer")
	}
	if pr.withRetry {
		h.Set("Retry-After", retryAfterSeconds(pr.retryAfter))
	}
	body := problemBody{
		Type:      problemTypePrefix + pr.code,
		Title:     title(pr.code),
		Status:    pr.status,
		Detail:    pr.detail,
		Code:      pr.code,
		RequestID: requestIDFrom(r.Context(), w),
	}
	// A problemBody of strings and an int always encodes.
	_ = writeJSON(w, pr.status, contentTypeProblem, body)
}

// loginLocation is the login URL with return_to=<path+query of r> added to
// its own query, so the app can send the user back after signing in.
func (p problems) loginLocation(r *http.Request) string {
	u := *p.login
	q := u.Query()
	q.Set("return_to", r.URL.RequestURI())
	u.RawQuery = q.Encode()
	return u.String()
}

// isNavigation reports whether r is a browser navigation: a GET whose
// Accept names text/html and does not prefer JSON. A missing Accept is not
// one, so scripts keep getting a 401 they can act on.
func isNavigation(r *http.Request) bool {
	if r.Method != http.MethodGet {
		return false
	}
	accept := acceptHeader(r)
	return namesHTML(accept) && !prefersJSON(accept)
}

// retryAfterSeconds renders d as whole seconds, rounded up, at least 1.
func retryAfterSeconds(d time.Duration) string {
	s := int64((d + time.Second - 1) / time.Second)
	return strconv.FormatInt(max(s, 1), 10)
}
