package app

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vaultgate/vaultgate/internal/testkit"
)

func TestRedirectFlowEndToEnd(t *testing.T) {
	s := startStack(t, nil)
	h := bearer(s.token(t))
	h.Set("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")
	res, _ := do(t, "GET", s.public+"/connect?unified_apis=crm", h, "")
	if res.StatusCode != http.StatusFound {
		t.Fatalf("status = %d, want 302", res.StatusCode)
	}
	loc := res.Header.Get("Location")
	if !strings.HasPrefix(loc, s.simURL+"/session/") {
		t.Fatalf("Location = %q, want a session on the simulated Vault", loc)
	}
	for _, name := range []string{"Cache-Control", "Referrer-Policy", "X-Content-Type-Options", "X-Frame-Options", "X-Request-Id"} {
		if res.Header.Get(name) == "" {
			t.Errorf("missing %s", name)
		}
	}
	rec := s.sim.LastRequest()
	if got := rec.Header.Get("x-apideck-consumer-id"); got != "org_acme" {
		t.Errorf("consumer header = %q, want org_acme", got)
	}
	var body map[string]any
	if err := json.Unmarshal(rec.Body, &body); err != nil {
		t.Fatal(err)
	}
	settings, _ := body["settings"].(map[string]any)
	if apis, _ := settings["unified_apis"].([]any); len(apis) != 1 || apis[0] != "crm" {
		t.Errorf("unified_apis sent = %v, want [crm]", settings["unified_apis"])
	}
	if body["redirect_uri"] != "https://app.example.com/integrations/done" {
		t.Errorf("redirect_uri sent = %v", body["redirect_uri"])
	}

	// The simulated Vault page accepts the session it was handed.
	page, pageBody := do(t, "GET", loc, nil, "")
	if page.StatusCode != http.StatusOK || !strings.Contains(string(pageBody), "org_acme") {
		t.Fatalf("vault page: %d", page.StatusCode)
	}
}

func TestJSONFlowsEndToEnd(t *testing.T) {
	s := startStack(t, nil)
	tok := s.token(t)
	cases := []struct {
		name, method, path, accept, body, contentType string
	}{
		{"GET with axios Accept", "GET", "/connect", "application/json, text/plain, */*", "", ""},
		{"POST without body", "POST", "/connect", "", "", ""},
		{"POST with options", "POST", "/connect", "application/json",
			`{"redirect_uri":"https://app.example.com/integrations/x","unified_apis":["accounting"]}`, "application/json"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := bearer(tok)
			if tc.accept != "" {
				h.Set("Accept", tc.accept)
			}
			if tc.contentType != "" {
				h.Set("Content-Type", tc.contentType)
			}
			res, b := do(t, tc.method, s.public+tc.path, h, tc.body)
			got := wantSession(t, res)
			if !strings.HasPrefix(got.SessionURI, s.simURL+"/session/") || got.ConsumerID != "org_acme" {
				t.Fatalf("body = %s", b)
			}
			exp, err := time.Parse(time.RFC3339, got.ExpiresAt)
			if err != nil || time.Until(exp) < 50*time.Minute || time.Until(exp) > 61*time.Minute {
				t.Fatalf("expires_at = %q", got.ExpiresAt)
			}
		})
	}
}

func TestFailuresEndToEnd(t *testing.T) {
	s := startStack(t, map[string]string{"AUTH_LOGIN_URL": "https://app.example.com/login"})
	tok := s.token(t)
	cases := []struct {
		name     string
		header   http.Header
		path     string
		setup    func()
		status   int
		code     string
		location string
	}{
		{name: "no token", header: http.Header{"Accept": {"application/json"}}, path: "/connect", status: 401, code: "unauthenticated"},
		{name: "browser without token goes to login", header: http.Header{"Accept": {"text/html"}}, path: "/connect?unified_apis=crm",
			status: 302, location: "https://app.example.com/login?return_to=%2Fconnect%3Funified_apis%3Dcrm"},
		{name: "garbage token", header: bearer("not-a-jwt"), path: "/connect", status: 401, code: "unauthenticated"},
		{name: "foreign redirect", header: bearer(tok), path: "/connect?redirect_uri=https://evil.example/", status: 400, code: "invalid_redirect_uri"},
		{name: "unoffered api", header: bearer(tok), path: "/connect?unified_apis=hris", status: 400, code: "invalid_unified_apis"},
		{name: "apideck refuses key", header: bearer(tok), path: "/connect", setup: func() { s.sim.QueueStatuses(401) }, status: 502, code: "upstream_auth"},
		{name: "apideck quota", header: bearer(tok), path: "/connect", setup: func() { s.sim.QueueStatuses(402) }, status: 502, code: "upstream_payment_required"},
		{name: "apideck down", header: bearer(tok), path: "/connect", setup: func() { s.sim.QueueStatuses(503, 503, 503) }, status: 502, code: "upstream_unavailable"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.setup != nil {
				tc.setup()
			}
			res, b := do(t, "GET", s.public+tc.path, tc.header, "")
			if res.StatusCode != tc.status {
				t.Fatalf("status = %d, want %d (%s)", res.StatusCode, tc.status, b)
			}
			if tc.location != "" && res.Header.Get("Location") != tc.location {
				t.Fatalf("Location = %q, want %q", res.Header.Get("Location"), tc.location)
			}
			if tc.code != "" {
				testkit.WantProblem(t, res, tc.status, tc.code)
			}
		})
	}
}

// TestLogsHoldNoSecrets runs success and failure paths and then searches
// every log line for the credentials that passed through the service.
func TestLogsHoldNoSecrets(t *testing.T) {
	s := startStack(t, nil)
	tok := s.token(t)
	cookie := http.Header{"Cookie": {"app_session=" + tok}, "Accept": {"application/json"}}
	secrets := []string{testAPIKey, tok}
	for _, h := range []http.Header{bearer(tok), cookie} {
		res, _ := do(t, "POST", s.public+"/connect", h, "")
		got := wantSession(t, res)
		secrets = append(secrets, got.SessionURI, got.SessionToken)
	}
	s.sim.QueueStatuses(401)
	do(t, "POST", s.public+"/connect", bearer(tok), "")
	do(t, "POST", s.public+"/connect", bearer(tok+"x"), "")
	do(t, "GET", s.public+"/connect?redirect_uri=https://evil.example/?token="+tok, bearer(tok), "")

	// Parts of a JWT are secret too: its signature must not appear.
	s.logs.WantNoSecrets(t, append(secrets, tok[strings.LastIndex(tok, ".")+1:])...)
}

func TestShutdownDrainsInFlightRequests(t *testing.T) {
	s := startStack(t, nil)
	s.sim.SetLatency(700 * time.Millisecond)
	tok := s.token(t)
	const n = 5
	results := make(chan int, n)
	for range n {
		go func() {
			req, _ := http.NewRequest("POST", s.public+"/connect", nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			res, err := noRedirect.Do(req)
			if err != nil {
				results <- 0
				return
			}
			res.Body.Close()
			results <- res.StatusCode
		}()
	}
	time.Sleep(200 * time.Millisecond) // requests are in flight at the upstream
	s.cancel()
	// While draining, readiness is withdrawn.
	sawNotReady := false
	for range 20 {
		res, err := http.Get(s.admin + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusServiceUnavailable {
				sawNotReady = true
				break
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	for range n {
		if code := <-results; code != http.StatusOK {
			t.Fatalf("in-flight request ended with %d, want 200", code)
		}
	}
	if err := <-s.done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	s.done <- nil // for the cleanup
	if !sawNotReady {
		t.Error("/readyz never reported 503 while draining")
	}
}
