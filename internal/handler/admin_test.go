package handler

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
)

func TestAdmin(t *testing.T) {
	ok := func(context.Context) error { return nil }
	fail := func(msg string) func(context.Context) error {
		return func(context.Context) error { return errors.New(msg) }
	}
	tests := []struct {
		name       string
		checks     []Check
		wantStatus int
		wantBody   readyzBody
	}{
		{"no checks", nil, 200, readyzBody{Status: "ready", Checks: map[string]string{}}},
		{"all pass", []Check{{"config", true, ok}, {"jwks", true, ok}}, 200,
			readyzBody{Status: "ready", Checks: map[string]string{"config": "ok", "jwks": "ok"}}},
		{"critical fails", []Check{{"config", true, ok}, {"jwks", true, fail("no keys loaded\nmore detail")}}, 503,
			readyzBody{Status: "not ready", Checks: map[string]string{"config": "ok", "jwks": "no keys loaded"}}},
		{"non-critical fails", []Check{{"jwks", true, ok}, {"redis", false, fail("redis unreachable")}}, 200,
			readyzBody{Status: "ready", Checks: map[string]string{"jwks": "ok", "redis": "redis unreachable"}}},
		{"long message cut", []Check{{"x", true, fail(strings.Repeat("e", 500))}}, 503,
			readyzBody{Status: "not ready", Checks: map[string]string{"x": strings.Repeat("e", maxCheckMessage) + "…"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := NewAdmin(prometheus.NewRegistry(), tt.checks, false)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest("GET", "/readyz", nil))
			if w.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d", w.Code, tt.wantStatus)
			}
			var got readyzBody
			if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.wantBody, got); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
			if w.Header().Get("Cache-Control") != "no-store" {
				t.Error("readyz is cacheable")
			}
		})
	}
}

func TestAdminReadyzCheckSeesDeadline(t *testing.T) {
	var hadDeadline bool
	h := NewAdmin(prometheus.NewRegistry(), []Check{{"slow", true, func(ctx context.Context) error {
		_, hadDeadline = ctx.Deadline()
		return nil
	}}}, false)
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/readyz", nil))
	if !hadDeadline {
		t.Error("checks must run under a deadline")
	}
}

func TestAdminRoutes(t *testing.T) {
	reg := prometheus.NewRegistry()
	newMetrics(reg).rateLimited.WithLabelValues(scopeUser).Inc()
	tests := []struct {
		name       string
		pprof      bool
		method     string
		path       string
		wantStatus int
		wantBody   string // substring
	}{
		{"healthz", false, "GET", "/healthz", 200, `{"status":"ok"}`},
		{"healthz HEAD", false, "HEAD", "/healthz", 200, ""},
		{"metrics", false, "GET", "/metrics", 200, `vaultgate_rate_limited_total{scope="user"} 1`},
		{"pprof off", false, "GET", "/debug/pprof/", 404, ""},
		{"pprof on", true, "GET", "/debug/pprof/", 200, "goroutine"},
		{"pprof cmdline", true, "GET", "/debug/pprof/cmdline", 200, ""},
		{"connect is not here", false, "GET", "/connect", 404, ""},
		{"POST healthz", false, "POST", "/healthz", 405, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := NewAdmin(reg, nil, tt.pprof)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(tt.method, tt.path, nil))
			if w.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d", w.Code, tt.wantStatus)
			}
			if !strings.Contains(w.Body.String(), tt.wantBody) {
				t.Errorf("body lacks %q:\n%.500s", tt.wantBody, w.Body)
			}
			if w.Header().Get("Cache-Control") != "no-store" {
				t.Error("admin response is cacheable")
			}
			if tt.path == "/healthz" && tt.method == "GET" && w.Header().Get("Content-Type") != contentTypeJSON {
				t.Errorf("Content-Type = %q", w.Header().Get("Content-Type"))
			}
		})
	}
}

func TestAdminReadyzHungCheck(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	h := NewAdmin(prometheus.NewRegistry(), []Check{
		{"hung", true, func(context.Context) error { <-release; return nil }}, // ignores ctx
		{"fine", true, func(context.Context) error { return nil }},
	}, false)
	w := httptest.NewRecorder()
	ctx, cancel := context.WithCancel(t.Context())
	cancel() // the deadline has passed as far as the handler can tell
	h.ServeHTTP(w, httptest.NewRequest("GET", "/readyz", nil).WithContext(ctx))
	if w.Code != 503 {
		t.Fatalf("status = %d, want 503", w.Code)
	}
	if !strings.Contains(w.Body.String(), `"hung":"timed out"`) {
		t.Errorf("body = %s", w.Body)
	}
}
