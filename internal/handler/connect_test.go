package handler

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/vaultgate/vaultgate/internal/testkit"
	"github.com/vaultgate/vaultgate/internal/upstream"
)

func TestConnectAnswerForm(t *testing.T) {
	const wantJSON = `{"session_uri":"` + testSessionURI + `","session_token":"` + testSessionToken +
		`","consumer_id":"org_42","expires_at":"2026-11-26T12:30:00Z"}` + "\n"
	tests := []struct {
		name     string
		method   string
		accept   string
		wantCode int
	}{
		{"GET without Accept redirects", http.MethodGet, "", http.StatusFound},
		{"GET browser navigation redirects", http.MethodGet, "text/html,application/xhtml+xml,*/*;q=0.8", http.StatusFound},
		{"GET axios gets JSON", http.MethodGet, "application/json, text/plain, */*", http.StatusOK},
		{"GET json only gets JSON", http.MethodGet, "application/json", http.StatusOK},
		{"POST without Accept gets JSON", http.MethodPost, "", http.StatusOK},
		{"POST with html Accept still JSON", http.MethodPost, "text/html", http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			r := authed(tt.method, "/connect", "")
			if tt.accept != "" {
				r.Header.Set("Accept", tt.accept)
			}
			w := e.do(t, r)
			if w.Code != tt.wantCode {
				t.Fatalf("status = %d, want %d; body %s", w.Code, tt.wantCode, w.Body)
			}
			switch tt.wantCode {
			case http.StatusFound:
				if loc := w.Header().Get("Location"); loc != testSessionURI {
					t.Errorf("Location = %q, want the session URI", loc)
				}
				if w.Body.Len() != 0 {
					t.Errorf("302 has a body: %q", w.Body)
				}
			case http.StatusOK:
				if ct := w.Header().Get("Content-Type"); ct != contentTypeJSON {
					t.Errorf("Content-Type = %q", ct)
				}
				if diff := cmp.Diff(wantJSON, w.Body.String()); diff != "" {
					t.Errorf("body (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestConnectExpiresAt(t *testing.T) {
	tests := []struct {
		name    string
		length  time.Duration
		created time.Time
		want    string
	}{
		{"configured length", 2 * time.Hour, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), "2026-01-02T05:04:05Z"},
		{"non-UTC creation rendered in UTC", time.Hour, time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("X", 2*3600)), "2026-01-02T02:04:05Z"},
		{"fractions cut to seconds", time.Hour, time.Date(2026, 1, 2, 3, 4, 5, 999_000_000, time.UTC), "2026-01-02T04:04:05Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := connectAnswer(ConnectConfig{SessionLength: tt.length}, sessionAt(tt.created), "c", connectOptions{})
			if got.ExpiresAt != tt.want {
				t.Errorf("expires_at = %q, want %q", got.ExpiresAt, tt.want)
			}
		})
	}
}

func TestConnectDeepLink(t *testing.T) {
	tests := []struct {
		name        string
		configured  []string
		method      string
		target      string
		body        string
		accept      string
		wantCode    int
		wantURI     string
		wantProblem string
	}{
		{
			name: "GET redirect to deep link", method: http.MethodGet,
			target:   "/connect?unified_apis=crm&service_id=salesforce",
			wantCode: http.StatusFound,
			wantURI:  "https://vault.apideck.com/integrations/crm/salesforce?jwt=" + testSessionToken,
		},
		{
			name: "JSON carries deep link", method: http.MethodGet, accept: "application/json",
			target:   "/connect?unified_apis=hris&service_id=bamboohr",
			wantCode: http.StatusOK,
			wantURI:  "https://vault.apideck.com/integrations/hris/bamboohr?jwt=" + testSessionToken,
		},
		{
			name: "POST body service id", method: http.MethodPost,
			target: "/connect", body: `{"unified_apis":["accounting"],"service_id":"xero"}`,
			wantCode: http.StatusOK,
			wantURI:  "https://vault.apideck.com/integrations/accounting/xero?jwt=" + testSessionToken,
		},
		{
			name: "single configured API suffices", configured: []string{"crm"}, method: http.MethodGet,
			target: "/connect?service_id=hubspot", wantCode: http.StatusFound,
			wantURI: "https://vault.apideck.com/integrations/crm/hubspot?jwt=" + testSessionToken,
		},
		{
			name: "two requested APIs", method: http.MethodGet,
			target: "/connect?unified_apis=crm,hris&service_id=x", wantCode: http.StatusBadRequest, wantProblem: codeInvalidRequest,
		},
		{
			name: "no API requested, several configured", method: http.MethodGet,
			target: "/connect?service_id=x", wantCode: http.StatusBadRequest, wantProblem: codeInvalidRequest,
		},
		{
			name: "all APIs configured, none requested", configured: []string{}, method: http.MethodGet,
			target: "/connect?service_id=x", wantCode: http.StatusBadRequest, wantProblem: codeInvalidRequest,
		},
		{
			name: "upper case service id", method: http.MethodGet,
			target: "/connect?unified_apis=crm&service_id=Salesforce", wantCode: http.StatusBadRequest, wantProblem: codeInvalidRequest,
		},
		{
			name: "service id with slash", method: http.MethodGet,
			target: "/connect?unified_apis=crm&service_id=a%2Fb", wantCode: http.StatusBadRequest, wantProblem: codeInvalidRequest,
		},
		{
			name: "empty service id", method: http.MethodGet,
			target: "/connect?unified_apis=crm&service_id=", wantCode: http.StatusBadRequest, wantProblem: codeInvalidRequest,
		},
		{
			name: "65 chars", method: http.MethodGet,
			target: "/connect?unified_apis=crm&service_id=" + strings.Repeat("a", 65), wantCode: http.StatusBadRequest, wantProblem: codeInvalidRequest,
		},
		{
			name: "64 chars", method: http.MethodGet, accept: "application/json",
			target: "/connect?unified_apis=crm&service_id=" + strings.Repeat("a", 64), wantCode: http.StatusOK,
			wantURI: "https://vault.apideck.com/integrations/crm/" + strings.Repeat("a", 64) + "?jwt=" + testSessionToken,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			if tt.configured != nil {
				e.deps.Connect.UnifiedAPIs = tt.configured
			}
			r := authed(tt.method, tt.target, tt.body, "Content-Type", "application/json")
			if tt.accept != "" {
				r.Header.Set("Accept", tt.accept)
			}
			w := e.do(t, r)
			if w.Code != tt.wantCode {
				t.Fatalf("status = %d, want %d; body %s", w.Code, tt.wantCode, w.Body)
			}
			if tt.wantProblem != "" {
				testkit.WantProblem(t, w.Result(), tt.wantCode, tt.wantProblem)
				if n := len(e.sessions.Calls()); n != 0 {
					t.Errorf("%d sessions created for a refused request", n)
				}
				return
			}
			got := w.Header().Get("Location")
			if w.Code == http.StatusOK {
				got = decodeConnect(t, w).SessionURI
			}
			if got != tt.wantURI {
				t.Errorf("session URI = %q, want %q", got, tt.wantURI)
			}
		})
	}
}

func TestDeepLinkEscapesToken(t *testing.T) {
	got := connectAnswer(ConnectConfig{VaultOrigin: "https://vault.example.com/"}, upstream.Session{Token: "a+b/c=&d"}, "c",
		connectOptions{serviceID: "pipedrive", unifiedAPIs: []string{"crm"}}).SessionURI
	const want = "https://vault.example.com/integrations/crm/pipedrive?jwt=a%2Bb%2Fc%3D%26d"
	if got != want {
		t.Errorf("deep link = %q, want %q", got, want)
	}
}

func TestPrefersJSON(t *testing.T) {
	tests := []struct {
		name, accept string
		want         bool
	}{
		{"missing", "", false},
		{"axios default", "application/json, text/plain, */*", true},
		{"browser navigation", "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8", false},
		{"json only", "application/json", true},
		{"json with charset", "application/json; charset=utf-8", true},
		{"json upper case", "Application/JSON", true},
		{"any only", "*/*", false},
		{"json q0", "application/json;q=0", false},
		{"json q0 alone beats nothing", "application/json;q=0, */*;q=0", false},
		{"json below html", "text/html, application/json;q=0.9", false},
		{"json equal to html", "text/html;q=0.5, application/json;q=0.5", true},
		{"json above html", "text/html;q=0.4, application/json;q=0.5", true},
		{"json below any", "application/json;q=0.5, */*", false},
		{"json above any", "application/json, */*;q=0.8", true},
		{"text star counts for html", "application/json;q=0.5, text/*;q=0.9, */*;q=0.1", false},
		{"html named beats text star", "application/json;q=0.5, text/html;q=0.4, text/*", true},
		{"html q0 json low", "text/html;q=0, application/json;q=0.1", true},
		{"malformed q dropped", "application/json;q=abc", false},
		{"q out of range dropped", "application/json;q=2", false},
		{"only other types", "application/json, text/plain", true},
		{"spaces", "  application/json ;  q=1 ,text/html;q=1", true},
		{"json twice takes highest", "application/json;q=0.1, text/html;q=0.5, application/json;q=0.6", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := request("GET", "/connect", "")
			if tt.accept != "" {
				r.Header.Set("Accept", tt.accept)
			}
			if got := prefersJSON(accepted(r)); got != tt.want {
				t.Errorf("prefersJSON(%q) = %v, want %v", tt.accept, got, tt.want)
			}
		})
	}
}

func TestIsNavigation(t *testing.T) {
	const browser = "text/html,application/xhtml+xml,*/*;q=0.8"
	tests := []struct {
		name, method string
		accept       []string
		want         bool
	}{
		{"browser GET", http.MethodGet, []string{browser}, true},
		{"browser POST", http.MethodPost, []string{browser}, false},
		{"missing accept", http.MethodGet, nil, false},
		{"fetch default", http.MethodGet, []string{"*/*"}, false},
		{"json preferred", http.MethodGet, []string{"application/json, text/html"}, false},
		{"html refused", http.MethodGet, []string{"text/html;q=0"}, false},
		{"split across headers", http.MethodGet, []string{"application/xml", "text/html"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := request(tt.method, "/connect", "")
			for _, a := range tt.accept {
				r.Header.Add("Accept", a)
			}
			if got := isNavigation(r); got != tt.want {
				t.Errorf("isNavigation = %v, want %v", got, tt.want)
			}
		})
	}
}

// benchSessions answers at once and keeps nothing, so memory stays flat.
type benchSessions struct{}

func (benchSessions) Create(context.Context, string, string, upstream.SessionRequest) (upstream.Session, upstream.Result, error) {
	return sessionAt(testCreatedAt()), upstream.Result{Status: 200, Attempts: 1}, nil
}

func BenchmarkConnect(b *testing.B) {
	for _, bb := range []struct{ name, method, target, body string }{
		{"GET redirect", "GET", "/connect", ""},
		{"POST JSON with options", "POST", "/connect?unified_apis=crm", `{"redirect_uri":"https://app.example.com/settings/x","unified_apis":["hris","crm"]}`},
	} {
		b.Run(bb.name, func(b *testing.B) {
			h := NewPublic(Deps{Log: zerolog.Nop(), Registerer: prometheus.NewRegistry(), Auth: &fakeAuth{},
				Sessions: benchSessions{}, Connect: testConnectConfig(b)})
			b.ReportAllocs()
			for b.Loop() {
				r := authed(bb.method, bb.target, bb.body, "Content-Type", "application/json")
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				if w.Code != 302 && w.Code != 200 {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
			}
		})
	}
}
