package handler

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/vaultgate/vaultgate/internal/state"
	"github.com/vaultgate/vaultgate/internal/testkit"
	"github.com/vaultgate/vaultgate/internal/upstream"
)

// TestSecurityHeadersOnEveryResponse covers every kind of answer the
// public listener gives.
func TestSecurityHeadersOnEveryResponse(t *testing.T) {
	tests := []struct {
		name       string
		setup      func(e *env)
		req        func() *http.Request
		wantStatus int
	}{
		{"302", nil, func() *http.Request { return authed("GET", "/connect", "") }, 302},
		{"200 JSON", nil, func() *http.Request { return authed("POST", "/connect", "") }, 200},
		{"400", nil, func() *http.Request { return authed("GET", "/connect?unified_apis=nope", "") }, 400},
		{"401", nil, func() *http.Request { return request("GET", "/connect", "") }, 401},
		{"login 302", func(e *env) { e.deps.Connect.LoginURL = "https://app.example.com/login" },
			func() *http.Request { return request("GET", "/connect", "", "Accept", "text/html") }, 302},
		{"404", nil, func() *http.Request { return request("GET", "/nope", "") }, 404},
		{"405", nil, func() *http.Request { return request("DELETE", "/connect", "") }, 405},
		{"preflight", nil, func() *http.Request {
			return request("OPTIONS", "/connect", "", "Origin", "https://app.example.com", "Access-Control-Request-Method", "POST")
		}, 204},
		{"preflight refused origin", nil, func() *http.Request {
			return request("OPTIONS", "/connect", "", "Origin", "https://evil.example", "Access-Control-Request-Method", "POST")
		}, 204},
		{"429", func(e *env) { e.deps.IPLimit = &fakeLimiter{allow: refuse} },
			func() *http.Request { return authed("GET", "/connect", "") }, 429},
		{"502", func(e *env) {
			e.sessions.create = failWith(&upstream.Error{Kind: upstream.KindUnavailable})
		}, func() *http.Request { return authed("GET", "/connect", "") }, 502},
		{"500 panic", func(e *env) {
			e.sessions.create = func(context.Context, string, string, upstream.SessionRequest) (upstream.Session, upstream.Result, error) {
				panic("boom")
			}
		}, func() *http.Request { return authed("GET", "/connect", "") }, 500},
	}
	want := map[string]string{
		"Cache-Control":          "no-store",
		"Referrer-Policy":        "no-referrer",
		"X-Content-Type-Options": "nosniff",
		"X-Frame-Options":        "DENY",
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			if tt.setup != nil {
				tt.setup(e)
			}
			w := e.do(t, tt.req())
			if w.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", w.Code, tt.wantStatus, w.Body)
			}
			for k, v := range want {
				if got := w.Header().Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			if !validRequestID(w.Header().Get(headerRequestID)) {
				t.Errorf("X-Request-Id = %q", w.Header().Get(headerRequestID))
			}
		})
	}
}

func TestRequestID(t *testing.T) {
	tests := []struct {
		name     string
		given    []string
		wantEcho bool
	}{
		{"none", nil, false},
		{"simple", []string{"abc-123"}, true},
		{"all allowed chars", []string{"AZaz09._-"}, true},
		{"128 chars", []string{strings.Repeat("a", 128)}, true},
		{"129 chars", []string{strings.Repeat("a", 129)}, false},
		{"empty", []string{""}, false},
		{"space", []string{"a b"}, false},
		{"slash", []string{"a/b"}, false},
		{"newline-ish", []string{"a\tb"}, false},
		{"non-ASCII", []string{"ä"}, false},
		{"json breaking", []string{`a"}`}, false},
		{"first of several", []string{"first", "second"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			r := request("GET", "/connect", "")
			for _, v := range tt.given {
				r.Header.Add(headerRequestID, v)
			}
			w := e.do(t, r)
			got := w.Header().Get(headerRequestID)
			if tt.wantEcho {
				if got != tt.given[0] {
					t.Errorf("X-Request-Id = %q, want %q", got, tt.given[0])
				}
			} else {
				if len(got) != 32 || !validRequestID(got) || (len(tt.given) > 0 && got == tt.given[0]) {
					t.Errorf("X-Request-Id = %q, want a fresh 32-char hex id", got)
				}
			}
			if p := testkit.WantProblem(t, w.Result(), http.StatusUnauthorized, codeUnauthenticated); p.RequestID != got {
				t.Errorf("problem request_id = %q, header %q", p.RequestID, got)
			}
			lines := e.logs.AccessLines(t)
			if len(lines) != 1 || lines[0]["request_id"] != got {
				t.Errorf("access log request_id: %v, want %q", lines, got)
			}
		})
	}
	e := newEnv(t)
	a := e.do(t, request("GET", "/connect", "")).Header().Get(headerRequestID)
	b := e.do(t, request("GET", "/connect", "")).Header().Get(headerRequestID)
	if a == b {
		t.Errorf("generated ids repeat: %q", a)
	}
}

func TestPanicRecovery(t *testing.T) {
	e := newEnv(t)
	e.sessions.create = func(context.Context, string, string, upstream.SessionRequest) (upstream.Session, upstream.Result, error) {
		panic("secret-panic-detail")
	}
	w := e.do(t, authed("GET", "/connect", "", headerRequestID, "panic-1"))
	if w.Code != http.StatusInternalServerError {
		t.Fatalf("status = %d", w.Code)
	}
	p := testkit.WantProblem(t, w.Result(), http.StatusInternalServerError, codeInternal)
	if p.Code != codeInternal || p.RequestID != "panic-1" {
		t.Errorf("problem = %+v", p)
	}
	if strings.Contains(w.Body.String(), "secret-panic-detail") {
		t.Error("panic value leaked to the client")
	}
	var sawStack bool
	for _, l := range e.logs.Lines(t) {
		if l["level"] == "error" && strings.Contains(l["stack"].(string), "TestPanicRecovery") {
			sawStack = l["request_id"] == "panic-1"
		}
	}
	if !sawStack {
		t.Errorf("no error line with the stack and request id: %s", e.logs)
	}
	lines := e.logs.AccessLines(t)
	if len(lines) != 1 || lines[0]["status"] != float64(500) || lines[0]["code"] != codeInternal {
		t.Errorf("access lines = %v", lines)
	}
}

func TestPanicAfterHeadersAborts(t *testing.T) {
	e := newEnv(t)
	e.deps.Pages = func(r chi.Router) {
		r.Get("/late", func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusOK)
			panic("late")
		})
	}
	defer func() {
		if v := recover(); v != http.ErrAbortHandler {
			t.Errorf("recovered %v, want http.ErrAbortHandler", v)
		}
	}()
	NewPublic(e.deps).ServeHTTP(httptest.NewRecorder(), request("GET", "/late", ""))
}

func refuse(string) (state.Decision, error) {
	return state.Decision{RetryAfter: 2500 * time.Millisecond}, nil
}

func failWith(err error) func(context.Context, string, string, upstream.SessionRequest) (upstream.Session, upstream.Result, error) {
	return func(context.Context, string, string, upstream.SessionRequest) (upstream.Session, upstream.Result, error) {
		return upstream.Session{}, upstream.Result{}, err
	}
}

// TestCORS runs through a real listener, as browsers would.
func TestCORS(t *testing.T) {
	tests := []struct {
		name        string
		origins     []string
		method      string
		headers     []string
		wantStatus  int
		wantOrigin  string // Access-Control-Allow-Origin
		wantCreds   bool
		wantMethods bool // Access-Control-Allow-Methods present
	}{
		{"preflight allowed", []string{"https://app.example.com"}, "OPTIONS",
			[]string{"Origin", "https://app.example.com", "Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "authorization, content-type"},
			204, "https://app.example.com", true, true},
		{"preflight other origin", []string{"https://app.example.com"}, "OPTIONS",
			[]string{"Origin", "https://evil.example", "Access-Control-Request-Method", "POST"}, 204, "", false, false},
		{"preflight sibling origin not matched by prefix", []string{"https://app.example.com"}, "OPTIONS",
			[]string{"Origin", "https://app.example.com.evil.example", "Access-Control-Request-Method", "POST"}, 204, "", false, false},
		{"preflight with star configured allows nothing", []string{"*"}, "OPTIONS",
			[]string{"Origin", "https://evil.example", "Access-Control-Request-Method", "POST"}, 204, "", false, false},
		{"preflight wildcard pattern is literal", []string{"https://*.example.com"}, "OPTIONS",
			[]string{"Origin", "https://evil.example.com", "Access-Control-Request-Method", "POST"}, 204, "", false, false},
		{"preflight disallowed method", []string{"https://app.example.com"}, "OPTIONS",
			[]string{"Origin", "https://app.example.com", "Access-Control-Request-Method", "PUT"}, 204, "", false, false},
		{"no CORS configured", nil, "OPTIONS",
			[]string{"Origin", "https://app.example.com", "Access-Control-Request-Method", "POST"}, 405, "", false, false},
		{"actual request allowed", []string{"https://app.example.com"}, "POST",
			[]string{"Origin", "https://app.example.com", "Authorization", "Bearer " + testToken}, 200, "https://app.example.com", true, false},
		{"actual request other origin", []string{"https://app.example.com"}, "POST",
			[]string{"Origin", "https://evil.example", "Authorization", "Bearer " + testToken}, 200, "", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.deps.Connect.CORSOrigins = tt.origins
			srv := httptest.NewServer(NewPublic(e.deps))
			t.Cleanup(srv.Close)
			r, err := http.NewRequestWithContext(t.Context(), tt.method, srv.URL+"/connect", nil)
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i+1 < len(tt.headers); i += 2 {
				r.Header.Set(tt.headers[i], tt.headers[i+1])
			}
			resp, err := srv.Client().Do(r)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if got := resp.Header.Get("Access-Control-Allow-Origin"); got != tt.wantOrigin {
				t.Errorf("Allow-Origin = %q, want %q", got, tt.wantOrigin)
			}
			if got := resp.Header.Get("Access-Control-Allow-Credentials") == "true"; got != tt.wantCreds {
				t.Errorf("Allow-Credentials = %v, want %v", got, tt.wantCreds)
			}
			if got := resp.Header.Get("Access-Control-Allow-Methods") != ""; got != tt.wantMethods {
				t.Errorf("Allow-Methods present = %v, want %v", got, tt.wantMethods)
			}
			if tt.wantOrigin != "" && tt.method != "OPTIONS" && resp.Header.Get("Access-Control-Expose-Headers") != headerRequestID {
				t.Errorf("Expose-Headers = %q", resp.Header.Get("Access-Control-Expose-Headers"))
			}
			if resp.Header.Get("Cache-Control") != "no-store" || resp.Header.Get(headerRequestID) == "" {
				t.Error("security headers missing")
			}
		})
	}
}
