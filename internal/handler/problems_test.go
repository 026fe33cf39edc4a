package handler

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vaultgate/vaultgate/internal/auth"
	"github.com/vaultgate/vaultgate/internal/events"
	"github.com/vaultgate/vaultgate/internal/testkit"
	"github.com/vaultgate/vaultgate/internal/upstream"
)

// leakyCause is a cause whose text must never reach a client.
const leakyCause = "cause-text-with-sk_live_key-and-" + testSessionToken

func TestConnectUpstreamProblems(t *testing.T) {
	cause := errors.New(leakyCause)
	tests := []struct {
		name       string
		err        error
		wantStatus int
		wantCode   string
		wantRetry  string // "" = no Retry-After
	}{
		{"auth", &upstream.Error{Kind: upstream.KindAuth, Status: 401, Err: cause}, 502, codeUpstreamAuth, ""},
		{"payment", &upstream.Error{Kind: upstream.KindPaymentRequired, Status: 402, Err: cause}, 502, codeUpstreamPaymentRequired, ""},
		{"rejected", &upstream.Error{Kind: upstream.KindRejected, Status: 422, Err: cause}, 502, codeUpstreamRejected, ""},
		{"busy with hint", &upstream.Error{Kind: upstream.KindBusy, Status: 429, RetryAfter: 1500 * time.Millisecond}, 503, codeUpstreamBusy, "2"},
		{"busy without hint", &upstream.Error{Kind: upstream.KindBusy}, 503, codeUpstreamBusy, "1"},
		{"unavailable", &upstream.Error{Kind: upstream.KindUnavailable, Status: 503, Err: cause}, 502, codeUpstreamUnavailable, ""},
		{"circuit open", &upstream.Error{Kind: upstream.KindCircuitOpen, RetryAfter: 4 * time.Second}, 503, codeUpstreamUnavailable, "4"},
		{"timeout", &upstream.Error{Kind: upstream.KindTimeout, Err: context.DeadlineExceeded}, 504, codeUpstreamTimeout, ""},
		{"invalid response", &upstream.Error{Kind: upstream.KindInvalidResponse, Status: 200, Err: cause}, 502, codeUpstreamInvalidResponse, ""},
		{"wrapped", errors.Join(errors.New("outer"), &upstream.Error{Kind: upstream.KindRejected, Status: 404}), 502, codeUpstreamRejected, ""},
		{"bare deadline", context.DeadlineExceeded, 504, codeUpstreamTimeout, ""},
		{"anything else", cause, 500, codeInternal, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.sessions.create = func(context.Context, string, string, upstream.SessionRequest) (upstream.Session, upstream.Result, error) {
				return upstream.Session{}, upstream.Result{Status: 418, Attempts: 3, Duration: time.Second}, tt.err
			}
			r := authed("GET", "/connect", "", headerRequestID, "req-1")
			w := e.do(t, r)
			if w.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d", w.Code, tt.wantStatus)
			}
			if got := w.Header().Get("Retry-After"); got != tt.wantRetry {
				t.Errorf("Retry-After = %q, want %q", got, tt.wantRetry)
			}
			if strings.Contains(w.Body.String(), leakyCause) || strings.Contains(w.Body.String(), "sk_live") {
				t.Errorf("cause leaked into the body: %s", w.Body)
			}
			got := testkit.WantProblem(t, w.Result(), tt.wantStatus, tt.wantCode)
			want := testkit.Problem{
				Type: problemTypePrefix + tt.wantCode, Title: problemTypes()[tt.wantCode].title, Status: tt.wantStatus,
				Detail: got.Detail, Code: tt.wantCode, RequestID: "req-1",
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("problem (-want +got):\n%s", diff)
			}
			if got.Detail == "" || got.Title == "" {
				t.Error("detail and title must be set")
			}
		})
	}
}

func TestUpstreamAuthLoggedAtError(t *testing.T) {
	e := newEnv(t)
	e.sessions.create = func(context.Context, string, string, upstream.SessionRequest) (upstream.Session, upstream.Result, error) {
		return upstream.Session{}, upstream.Result{Status: 401}, &upstream.Error{Kind: upstream.KindAuth, Status: 401}
	}
	e.do(t, authed("GET", "/connect", ""))
	for _, l := range e.logs.Lines(t) {
		if l["message"] == "Apideck refused our API key or app id" {
			if l["level"] != "error" {
				t.Errorf("level = %v, want error", l["level"])
			}
			return
		}
	}
	t.Errorf("no error line for upstream_auth in %s", e.logs)
}

func TestAuthProblems(t *testing.T) {
	const refusedToken = `Bearer error="invalid_token"`
	unauth := func(reason string, token bool) error {
		return &auth.Error{Class: auth.ErrUnauthenticated, Reason: reason, Token: token, Err: errors.New(leakyCause)}
	}
	tests := []struct {
		name          string
		err           error
		wantStatus    int
		wantCode      string
		wantChallenge string
		wantReason    string // the problem's reason
		wantLabel     string // of vaultgate_auth_failures_total
		wantCause     string // the access line's auth_reason
	}{
		{"missing", unauth(auth.ReasonMissing, false), 401, codeUnauthenticated, "Bearer", "missing", "missing", "missing"},
		{"expired token", unauth(auth.ReasonExpired, true), 401, codeUnauthenticated, refusedToken, "expired", "expired", "expired"},
		{"wrong audience", unauth(auth.ReasonAudience, true), 401, codeUnauthenticated, refusedToken, "invalid", "invalid", "audience"},
		{"not yet valid", unauth(auth.ReasonNotYetValid, true), 401, codeUnauthenticated, refusedToken, "invalid", "invalid", "not_yet_valid"},
		{"basic credentials", unauth(auth.ReasonMalformed, false), 401, codeUnauthenticated, "Bearer", "invalid", "invalid", "malformed"},
		{"untrusted peer", unauth(auth.ReasonUntrustedPeer, false), 401, codeUnauthenticated, "Bearer", "invalid", "untrusted_peer", "untrusted_peer"},
		{"app refused", unauth(auth.ReasonAppRefused, false), 401, codeUnauthenticated, "Bearer", "invalid", "invalid", "app_refused"},
		{"unavailable", &auth.Error{Class: auth.ErrUnavailable, Reason: auth.ReasonUnavailable, Err: errors.New(leakyCause)},
			503, codeAuthUnavailable, "", "", "unavailable", "unavailable"},
		{"bare sentinel", auth.ErrUnauthenticated, 401, codeUnauthenticated, "Bearer", "invalid", "invalid", "invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.auth.authenticate = func(*http.Request) (auth.Identity, error) { return auth.Identity{}, tt.err }
			w := e.do(t, request("GET", "/connect", ""))
			if got := w.Header().Get("WWW-Authenticate"); got != tt.wantChallenge {
				t.Errorf("WWW-Authenticate = %q, want %q", got, tt.wantChallenge)
			}
			if p := testkit.WantProblem(t, w.Result(), tt.wantStatus, tt.wantCode); p.Reason != tt.wantReason {
				t.Errorf("problem reason = %q, want %q", p.Reason, tt.wantReason)
			}
			if got := e.counter(t, "vaultgate_auth_failures_total", "reason", tt.wantLabel); got != 1 {
				t.Errorf("auth failures{reason=%q} = %v, want 1", tt.wantLabel, got)
			}
			lines := e.logs.AccessLines(t)
			if len(lines) != 1 || lines[0]["auth_reason"] != tt.wantCause || lines[0]["level"] != "info" {
				t.Errorf("access line %v, want auth_reason %q at info", lines, tt.wantCause)
			}
			if strings.Contains(w.Body.String(), leakyCause) {
				t.Error("the cause reached the client")
			}
			if len(e.sessions.Calls()) != 0 {
				t.Error("session created without authentication")
			}
		})
	}
}

func TestNoConsumer(t *testing.T) {
	e := newEnv(t)
	e.auth.authenticate = func(*http.Request) (auth.Identity, error) {
		return auth.Identity{Subject: "u", Claims: map[string]any{"sub": "u"}}, nil // no org_id
	}
	w := e.do(t, request("GET", "/connect", ""))
	if w.Code != http.StatusForbidden {
		t.Fatalf("status = %d, want 403", w.Code)
	}
	testkit.WantProblem(t, w.Result(), http.StatusForbidden, codeNoConsumer)
	if got := e.counter(t, "vaultgate_auth_failures_total", "reason", reasonNoConsumer); got != 1 {
		t.Errorf("auth failures{reason=no_consumer} = %v, want 1", got)
	}
	// What was checked reaches the log at info: the claim and that it was missing.
	for _, l := range e.logs.Lines(t) {
		if l["code"] == codeNoConsumer && l["message"] != "request" {
			if l["level"] != "info" || l["error"] != `no consumer: claim "org_id" is missing` {
				t.Errorf("no_consumer line = %v", l)
			}
			return
		}
	}
	t.Errorf("no no_consumer line in %s", e.logs)
}

func TestLoginRedirect(t *testing.T) {
	const browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
	tests := []struct {
		name       string
		loginURL   string
		method     string
		accept     string
		wantStatus int
		wantQuery  url.Values // of the Location, when 302
	}{
		{"navigation goes to login, query kept", "https://app.example.com/login?next=1", "GET", browser, 302,
			url.Values{"next": {"1"}, "return_to": {"/connect?unified_apis=crm"}}},
		{"navigation without login URL", "", "GET", browser, 401, nil},
		{"fetch gets 401", "https://app.example.com/login", "GET", "*/*", 401, nil},
		{"missing Accept gets 401", "https://app.example.com/login", "GET", "", 401, nil},
		{"JSON preferred gets 401", "https://app.example.com/login", "GET", "application/json, text/html", 401, nil},
		{"POST gets 401", "https://app.example.com/login", "POST", browser, 401, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.deps.Connect.LoginURL = tt.loginURL
			r := request(tt.method, "/connect?unified_apis=crm", "")
			if tt.accept != "" {
				r.Header.Set("Accept", tt.accept)
			}
			w := e.do(t, r)
			if w.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d", w.Code, tt.wantStatus)
			}
			if tt.wantStatus == 401 {
				if w.Header().Get("WWW-Authenticate") != "Bearer" {
					t.Error("401 without WWW-Authenticate: Bearer")
				}
				return
			}
			loc, err := url.Parse(w.Header().Get("Location"))
			if err != nil {
				t.Fatal(err)
			}
			if loc.Scheme != "https" || loc.Host != "app.example.com" || loc.Path != "/login" {
				t.Errorf("Location = %s", loc)
			}
			if diff := cmp.Diff(tt.wantQuery, loc.Query()); diff != "" {
				t.Errorf("login query (-want +got):\n%s", diff)
			}
			if got := e.counter(t, "vaultgate_auth_failures_total", "reason", auth.ReasonMissing); got != 1 {
				t.Errorf("auth failures = %v, want 1", got)
			}
		})
	}
}

func TestRetryAfterSeconds(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "1"}, {-time.Second, "1"}, {time.Millisecond, "1"}, {time.Second, "1"},
		{time.Second + time.Nanosecond, "2"}, {59 * time.Second, "59"}, {90 * time.Second, "90"},
	}
	for _, tt := range tests {
		if got := retryAfterSeconds(tt.d); got != tt.want {
			t.Errorf("retryAfterSeconds(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

// TestProblemTypes checks that every code has a complete row: a missing
// one would answer with status 0.
func TestProblemTypes(t *testing.T) {
	types := problemTypes()
	codes := []string{codeAuthUnavailable, codeCrossSite, codePrefetchRefused, codeUnauthenticated,
		codeNoConsumer, codeInvalidRedirectURI, codeInvalidUnifiedAPIs, codeInvalidRequest, codeActionNotAllowed, codeRateLimited,
		codeUpstreamAuth, codeUpstreamPaymentRequired, codeUpstreamRejected, codeUpstreamBusy,
		codeUpstreamUnavailable, codeUpstreamTimeout, codeUpstreamInvalidResponse, codeNotFound,
		codeMethodNotAllowed, codeInternal, codeInvalidSignature, codePayloadTooLarge, codeRelayFailed,
		codeTooManyWebhooks, codeTooManyStreams}
	if len(types) != len(codes) {
		t.Errorf("%d rows for %d codes", len(types), len(codes))
	}
	for _, code := range codes {
		pt, ok := types[code]
		if !ok || pt.status < 400 || pt.title == "" || pt.detail == "" {
			t.Errorf("%s: incomplete row %+v", code, pt)
		}
	}
}

// TestWebhookRefusals maps every error of the events package to its code.
func TestWebhookRefusals(t *testing.T) {
	for err, code := range map[error]string{
		events.ErrRateLimited:                               codeRateLimited,
		events.ErrInvalidSignature:                          codeInvalidSignature,
		events.ErrTooLarge:                                  codePayloadTooLarge,
		errors.Join(events.ErrInvalid, io.ErrUnexpectedEOF): codeInvalidRequest,
		events.ErrBusy:                                      codeTooManyWebhooks,
		errors.Join(events.ErrRelayFailed, errors.New("relay: answered 500")): codeRelayFailed,
		errors.New("other"): codeInternal,
	} {
		if got := webhookRefusal(err, 0).code; got != code {
			t.Errorf("%v: %s, want %s", err, got, code)
		}
	}
	for _, code := range []string{codeInvalidSignature, codeRelayFailed, codeTooManyWebhooks} {
		d := strings.ToLower(problemTypes()[code].detail)
		if strings.Contains(d, "signature") || strings.Contains(d, "form") {
			t.Errorf("%s detail names signatures or forms: %q", code, d)
		}
	}
}
