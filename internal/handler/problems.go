package handler

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/vaultgate/vaultgate/internal/auth"
	"github.com/vaultgate/vaultgate/internal/events"
	"github.com/vaultgate/vaultgate/internal/upstream"
)

// Problem codes: the "code" member of every problem body (see README,
// Errors). Scripts match on them, so they never change.
const (
	codeAuthUnavailable         = "auth_unavailable"
	codeCrossSite               = "cross_site"
	codePrefetchRefused         = "prefetch_refused"
	codeUnauthenticated         = "unauthenticated"
	codeNoConsumer              = "no_consumer"
	codeInvalidRedirectURI      = "invalid_redirect_uri"
	codeInvalidUnifiedAPIs      = "invalid_unified_apis"
	codeInvalidRequest          = "invalid_request"
	codeActionNotAllowed        = "action_not_allowed"
	codeRateLimited             = "rate_limited"
	codeUpstreamAuth            = "upstream_auth"
	codeUpstreamPaymentRequired = "upstream_payment_required"
	codeUpstreamRejected        = "upstream_rejected"
	codeUpstreamBusy            = "upstream_busy"
	codeUpstreamUnavailable     = "upstream_unavailable"
	codeUpstreamTimeout         = "upstream_timeout"
	codeUpstreamInvalidResponse = "upstream_invalid_response"
	codeNotFound                = "not_found"
	codeMethodNotAllowed        = "method_not_allowed"
	codeInternal                = "internal"
	codeInvalidSignature        = "invalid_signature"
	codePayloadTooLarge         = "payload_too_large"
	codeRelayFailed             = "relay_failed"
	codeTooManyWebhooks         = "too_many_webhooks"
	codeTooManyStreams          = "too_many_streams"
)

const (
	problemTypePrefix  = "urn:vaultgate:problem:"
	contentTypeJSON    = "application/json"
	contentTypeProblem = "application/problem+json"
)

// problemType is how every error of one code is answered and logged.
type problemType struct {
	status    int
	title     string // the fixed summary (RFC 9457 "title")
	detail    string // for the client, unless a refusal has a more precise one
	retry     bool   // send Retry-After
	challenge string // sent as WWW-Authenticate
	reason    string // the problem's "reason" member (unauthenticated only)
	level     zerolog.Level
	logMsg    string // "": "request refused"
}

// problemTypes is the one table of problem codes. Titles and details are
// fixed sentences: nothing of an error (which may come from a token parser
// or an upstream body) reaches the client. Unset levels are debug.
func problemTypes() map[string]problemType {
	const info, warn, fail = zerolog.InfoLevel, zerolog.WarnLevel, zerolog.ErrorLevel
	const failed = "upstream call failed"
	return map[string]problemType{
		codeAuthUnavailable: {status: 503, title: "Authentication unavailable", level: warn, logMsg: "authentication unavailable",
			detail: "The identity provider could not be reached; try again shortly."},
		codeCrossSite: {status: 403, title: "Cross-site request refused",
			detail: "Cross-site requests cannot create sessions with browser credentials."},
		codePrefetchRefused: {status: 400, title: "Prefetch refused",
			detail: "Prefetch and prerender requests cannot create sessions."},
		codeUnauthenticated: {status: 401, title: "Unauthenticated", challenge: "Bearer", logMsg: "request unauthenticated",
			detail: "Sign in first: the request carries no valid credentials."},
		codeNoConsumer: {status: 403, title: "No consumer", level: info, logMsg: "identity has no usable consumer id",
			detail: "Your account is not linked to a consumer that can connect integrations."},
		codeInvalidRedirectURI: {status: 400, title: "Invalid redirect_uri",
			detail: "redirect_uri is not one of the allowed redirect URIs."},
		codeInvalidUnifiedAPIs: {status: 400, title: "Invalid unified_apis",
			detail: "unified_apis must be a non-empty subset of the unified APIs this service offers."},
		codeInvalidRequest: {status: 400, title: "Invalid request",
			detail: "The request is invalid."},
		codeActionNotAllowed: {status: 403, title: "Action not allowed",
			detail: "Disconnecting integrations is not allowed here."},
		codeRateLimited: {status: 429, title: "Too many requests", retry: true,
			detail: "Too many requests; try again later."},
		codeUpstreamAuth: {status: 502, title: "Apideck refused our credentials",
			level: fail, logMsg: "Apideck refused our API key or app id",
			detail: "The integration service refused this server's credentials."},
		codeUpstreamPaymentRequired: {status: 502, title: "Apideck request limit reached", level: warn, logMsg: failed,
			detail: "The integration service's request limit has been reached."},
		codeUpstreamRejected: {status: 502, title: "Apideck rejected the request", level: warn, logMsg: failed,
			detail: "The integration service rejected the request."},
		codeUpstreamBusy: {status: 503, title: "Apideck is busy", retry: true, level: warn, logMsg: failed,
			detail: "The integration service is busy; try again shortly."},
		codeUpstreamUnavailable: {status: 502, title: "Apideck unavailable", level: fail, logMsg: failed,
			detail: "The integration service is unavailable; try again shortly."},
		codeUpstreamTimeout: {status: 504, title: "Apideck timed out", level: fail, logMsg: failed,
			detail: "The integration service did not answer in time."},
		codeUpstreamInvalidResponse: {status: 502, title: "Invalid answer from Apideck", level: fail, logMsg: failed,
			detail: "The integration service sent an unusable answer."},
		codeNotFound: {status: 404, title: "Not found",
			detail: "There is nothing at this path."},
		codeMethodNotAllowed: {status: 405, title: "Method not allowed",
			detail: "This method is not allowed here."},
		// The webhook's details never name signatures or forms: they would
		// tell a forger which guess came closest.
		codeInvalidSignature: {status: 401, title: "Invalid webhook",
			detail: "The webhook could not be verified."},
		codePayloadTooLarge: {status: 413, title: "Payload too large",
			detail: "The request body is larger than 256 KiB."},
		codeRelayFailed: {status: 503, title: "Relay failed", retry: true, level: warn, logMsg: "relaying an event to the app failed",
			detail: "The event could not be handed on to the app; deliver it again later."},
		codeTooManyWebhooks: {status: 503, title: "Too many webhooks", retry: true, level: warn, logMsg: "too many webhooks at once",
			detail: "Too many webhooks are being handled; deliver it again shortly."},
		codeTooManyStreams: {status: 503, title: "Too many event streams", retry: true, level: warn, logMsg: "too many event streams",
			detail: "Too many event streams are open; try again shortly."},
		codeInternal: {status: 500, title: "Internal error", level: fail, logMsg: "internal error",
			detail: "An unexpected error occurred."},
	}
}

// refusal is an error this package answers with a problem code (a bad
// option, a guard, a rate limit, an unknown route). Its cause is logged,
// never shown.
type refusal struct {
	code       string
	status     int           // instead of the code's status (413, 415 for a body)
	detail     string        // instead of the code's detail, when more precise
	retryAfter time.Duration // for codes that send Retry-After
	cause      error
}

func (e *refusal) Error() string {
	if e.cause != nil {
		return e.code + ": " + e.cause.Error()
	}
	return strings.TrimSuffix(e.code+": "+e.detail, ": ")
}

func (e *refusal) Unwrap() error { return e.cause }

// invalid refuses a malformed request with a detail saying what is wrong.
func invalid(detail string, cause error) *refusal {
	return &refusal{code: codeInvalidRequest, detail: detail, cause: cause}
}

// webhookRefusal turns an error of events.Service.Receive into its problem.
func webhookRefusal(err error, retryAfter time.Duration) *refusal {
	rf := &refusal{code: codeInternal, retryAfter: retryAfter, cause: err}
	for sentinel, code := range map[error]string{
		events.ErrRateLimited:      codeRateLimited,
		events.ErrInvalidSignature: codeInvalidSignature,
		events.ErrTooLarge:         codePayloadTooLarge,
		events.ErrInvalid:          codeInvalidRequest,
		events.ErrBusy:             codeTooManyWebhooks,
		events.ErrRelayFailed:      codeRelayFailed,
	} {
		if errors.Is(err, sentinel) {
			rf.code = code
		}
	}
	if rf.code == codeInvalidRequest {
		rf.detail = "The body must be a JSON object in UTF-8 without repeated keys."
	}
	return rf
}

// problems is the one place errors become responses.
type problems struct {
	types            map[string]problemType
	loginURL         string // AUTH_LOGIN_URL, validated by the configuration
	errorRedirectURL string // ERROR_REDIRECT_URL, validated by the configuration
	page             *template.Template
	appURL           string // APP_URL: the page's link back
}

func newProblems(cfg ConnectConfig) *problems {
	return &problems{types: problemTypes(), loginURL: cfg.LoginURL, errorRedirectURL: cfg.ErrorRedirectURL,
		page: errorPage(), appURL: cfg.AppURL}
}

// problemBody is the RFC 9457 body, members in the contract's order.
type problemBody struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail"`
	Code      string `json:"code"`
	RequestID string `json:"request_id"`
	Reason    string `json:"reason,omitempty"` // unauthenticated: missing, expired or invalid
}

// write answers r with the problem for err, logs err once and returns the
// problem's code.
func (p *problems) write(w http.ResponseWriter, r *http.Request, err error) string {
	var rf *refusal
	var ue *upstream.Error
	code, retryAfter := codeInternal, time.Duration(0)
	switch {
	case errors.As(err, &rf):
		code, retryAfter = rf.code, rf.retryAfter
	case errors.Is(err, auth.ErrUnavailable):
		code = codeAuthUnavailable
	case errors.Is(err, auth.ErrUnauthenticated):
		code = codeUnauthenticated
	case errors.Is(err, auth.ErrNoConsumer):
		code = codeNoConsumer
	case errors.As(err, &ue):
		code = cmp.Or(map[upstream.Kind]string{
			upstream.KindAuth:            codeUpstreamAuth,
			upstream.KindPaymentRequired: codeUpstreamPaymentRequired,
			upstream.KindRejected:        codeUpstreamRejected,
			upstream.KindBusy:            codeUpstreamBusy,
			upstream.KindTimeout:         codeUpstreamTimeout,
			upstream.KindInvalidResponse: codeUpstreamInvalidResponse,
			upstream.KindNotFound:        codeNotFound,
		}[ue.Kind], codeUpstreamUnavailable) // KindUnavailable, KindCircuitOpen
		retryAfter = ue.RetryAfter
	case errors.Is(err, context.DeadlineExceeded):
		code = codeUpstreamTimeout
	}
	t := p.types[code]
	if rf != nil {
		t.status, t.detail = cmp.Or(rf.status, t.status), cmp.Or(rf.detail, t.detail)
	}
	if code == codeUnauthenticated {
		// The frontend refreshes an expired token; RFC 6750 §3.1 tells a
		// refused token from none.
		ae := authError(err)
		if t.reason = ae.ClientReason(); ae.Token {
			t.challenge = `Bearer error="invalid_token"`
		}
	}
	if ue != nil && ue.Kind == upstream.KindCircuitOpen {
		// The breaker sheds load: answered like a busy Apideck, and logged
		// at warn, as the failures that opened it already were.
		t.status, t.retry, t.level = http.StatusServiceUnavailable, true, zerolog.WarnLevel
	}
	zerolog.Ctx(r.Context()).WithLevel(t.level).Err(err).Str("code", code).Msg(cmp.Or(t.logMsg, "request refused"))
	p.answer(w, r, code, t, retryAfter)
	return code
}

// answer sends the problem as t describes it, without logging: problem
// JSON, or for a browser navigation a page (or a redirect to the app's own).
func (p *problems) answer(w http.ResponseWriter, r *http.Request, code string, t problemType, retryAfter time.Duration) {
	h := w.Header()
	id := h.Get(headerRequestID)
	if isNavigation(r) {
		switch {
		case code == codeUnauthenticated && p.loginURL != "":
			// return_to lets the app send the user back after signing in.
			redirectWith(w, p.loginURL, "return_to", r.URL.RequestURI())
			return
		case p.errorRedirectURL != "":
			redirectWith(w, p.errorRedirectURL, "error", code, "request_id", id)
			return
		}
	}
	if t.challenge != "" {
		h.Set("WWW-Authenticate", t.challenge)
	}
	if t.retry {
		h.Set("Retry-After", retryAfterSeconds(retryAfter))
	}
	if isNavigation(r) {
		p.writePage(w, code, t, id, retryAfter)
		return
	}
	// A body of strings and an int always encodes.
	_ = writeJSON(w, t.status, contentTypeProblem, problemBody{
		Type:      problemTypePrefix + code,
		Title:     t.title,
		Status:    t.status,
		Detail:    t.detail,
		Code:      code,
		RequestID: id,
		Reason:    t.reason,
	})
}

// redirectWith answers 302 to target (a URL the configuration validated)
// with the name, value pairs added to its query.
func redirectWith(w http.ResponseWriter, target string, pairs ...string) {
	u, _ := url.Parse(target)
	q := u.Query()
	for i := 0; i+1 < len(pairs); i += 2 {
		q.Set(pairs[i], pairs[i+1])
	}
	u.RawQuery = q.Encode()
	w.Header().Set("Location", u.String())
	w.WriteHeader(http.StatusFound)
}

// retryAfterSeconds renders d as whole seconds, rounded up, at least 1.
func retryAfterSeconds(d time.Duration) string {
	s := int64((d + time.Second - 1) / time.Second)
	return strconv.FormatInt(max(s, 1), 10)
}

// writeJSON renders v into a buffer before writing anything, so an encoding
// failure (its only error) can still become a problem instead of half a 200.
func writeJSON(w http.ResponseWriter, status int, contentType string, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	// Served as JSON with nosniff, never as HTML: "&" in a connect_url
	// stays readable instead of becoming \u0026.
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	// A failed write means the client left; there is no one to tell.
	_, _ = w.Write(buf.Bytes())
	return nil
}
