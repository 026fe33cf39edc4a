package handler

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/vaultgate/vaultgate/internal/auth"
	"github.com/vaultgate/vaultgate/internal/upstream"
)

func TestAccessLog(t *testing.T) {
	tests := []struct {
		name  string
		setup func(e *env)
		req   func() *http.Request
		want  map[string]any // duration_ms is checked separately
	}{
		{"success", nil, func() *http.Request {
			return authed("GET", "/connect?redirect_uri=https://app.example.com/settings/secret-query", "", headerRequestID, "log-1",
				"Cookie", "session=cookie-value-do-not-log")
		}, map[string]any{
			"level": "info", "message": "request", "request_id": "log-1", "method": "GET", "route": "/connect",
			"status": 302.0, "consumer_id": "org_42", "upstream_status": 200.0, "upstream_ms": 42.0, "code": "",
		}},
		{"upstream failure", func(e *env) {
			e.sessions.create = func(context.Context, string, string, upstream.SessionRequest) (upstream.Session, upstream.Result, error) {
				return upstream.Session{}, upstream.Result{Status: 503, Attempts: 3, Duration: 1500 * time.Millisecond},
					&upstream.Error{Kind: upstream.KindUnavailable, Status: 503}
			}
		}, func() *http.Request { return authed("POST", "/connect", "", headerRequestID, "log-2") }, map[string]any{
			"level": "info", "message": "request", "request_id": "log-2", "method": "POST", "route": "/connect",
			"status": 502.0, "consumer_id": "org_42", "upstream_status": 503.0, "upstream_ms": 1500.0, "code": codeUpstreamUnavailable,
		}},
		{"unauthenticated", nil, func() *http.Request {
			return request("GET", "/connect", "", headerRequestID, "log-3", "Authorization", "Bearer "+testToken+"x")
		}, map[string]any{
			"level": "info", "message": "request", "request_id": "log-3", "method": "GET", "route": "/connect",
			"status": 401.0, "consumer_id": "", "upstream_status": 0.0, "upstream_ms": 0.0, "code": codeUnauthenticated,
			"auth_reason": auth.ReasonMissing,
		}},
		{"unknown path", nil, func() *http.Request {
			return request("GET", "/random/"+testToken, "", headerRequestID, "log-4")
		}, map[string]any{
			"level": "info", "message": "request", "request_id": "log-4", "method": "GET", "route": routeOther,
			"status": 404.0, "consumer_id": "", "upstream_status": 0.0, "upstream_ms": 0.0, "code": codeNotFound,
		}},
		{"odd method", nil, func() *http.Request {
			return request("BREW", "/connect", "", headerRequestID, "log-5")
		}, map[string]any{
			"level": "info", "message": "request", "request_id": "log-5", "method": "OTHER", "route": "/connect",
			"status": 405.0, "consumer_id": "", "upstream_status": 0.0, "upstream_ms": 0.0, "code": codeMethodNotAllowed,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			if tt.setup != nil {
				tt.setup(e)
			}
			e.do(t, tt.req())
			lines := e.logs.AccessLines(t)
			if len(lines) != 1 {
				t.Fatalf("%d access lines, want 1: %s", len(lines), e.logs)
			}
			got := lines[0]
			if d, ok := got["duration_ms"].(float64); !ok || d < 0 {
				t.Errorf("duration_ms = %v", got["duration_ms"])
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreMapEntries(func(k string, _ any) bool {
				return k == "duration_ms" || k == "time"
			})); diff != "" {
				t.Errorf("access line (-want +got):\n%s", diff)
			}
			e.logs.WantNoSecrets(t, testToken, testSessionToken, testSessionURI, "cookie-value-do-not-log", "secret-query", testEmail)
		})
	}
}

func TestHTTPMetrics(t *testing.T) {
	e := newEnv(t)
	h := NewPublic(e.deps)
	for _, r := range []*http.Request{
		authed("GET", "/connect", ""),
		authed("GET", "/connect", ""),
		authed("POST", "/connect", ""),
		request("GET", "/connect", ""),
		request("GET", "/a", ""),
		request("GET", "/b/c", ""),
		request("PUT", "/connect", ""),
		request("BREW", "/connect", ""),
	} {
		h.ServeHTTP(httptestRecorder(), r)
	}
	want := `
# HELP vaultgate_http_requests_total HTTP requests answered on the public listener, by route, method and status code.
# TYPE vaultgate_http_requests_total counter
vaultgate_http_requests_total{code="302",method="GET",route="/connect"} 2
vaultgate_http_requests_total{code="200",method="POST",route="/connect"} 1
vaultgate_http_requests_total{code="401",method="GET",route="/connect"} 1
vaultgate_http_requests_total{code="404",method="GET",route="other"} 2
vaultgate_http_requests_total{code="405",method="PUT",route="/connect"} 1
vaultgate_http_requests_total{code="405",method="OTHER",route="/connect"} 1
`
	if err := testutil.GatherAndCompare(e.reg, strings.NewReader(want), "vaultgate_http_requests_total"); err != nil {
		t.Error(err)
	}
	if n, err := testutil.GatherAndCount(e.reg, "vaultgate_http_request_duration_seconds"); err != nil || n != 5 {
		t.Errorf("duration series = %d (%v), want 5", n, err)
	}
}
