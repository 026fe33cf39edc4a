package app

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vaultgate/vaultgate/internal/simulator"
	"github.com/vaultgate/vaultgate/internal/testkit"
)

// The integrations page end to end against the simulated Apideck, whose
// connection routes answer with Apideck's whole Connection schema, the
// fields that must never reach a browser filled in.

func TestConnectionsEndToEnd(t *testing.T) {
	s := startStack(t, map[string]string{"APIDECK_TIMEOUT": "500ms", "LOG_LEVEL": "debug"}, recordUpstream)
	for _, c := range [][3]string{{"org_acme", "crm", simulator.Salesforce}, {"org_acme", "accounting", simulator.Xero},
		{"org_other", "crm", simulator.HubSpot}, {"org_acme", "file-storage", simulator.GoogleDrive}} {
		if err := s.sim.Connect(c[0], c[1], c[2]); err != nil {
			t.Fatal(err)
		}
	}
	tok := s.token(t)
	b := &browserClient{t: t, base: s.public, header: http.Header{"Authorization": {"Bearer " + tok}, "Accept": {"application/json"}}}

	res, body := b.do("GET", "/connections")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /connections: %d %s", res.StatusCode, body)
	}
	// Google Drive's unified API is not offered; HubSpot is another consumer's.
	sfCreated, sfUpdated := upstreamTimes(t, s, "org_acme", "crm", simulator.Salesforce)
	xeroCreated, xeroUpdated := upstreamTimes(t, s, "org_acme", "accounting", simulator.Xero)
	want := map[string]any{"consumer_id": "org_acme", "connections": []any{
		wantView(catalogue(t, "accounting", simulator.QuickBooks), 0, 0, true),
		wantView(catalogue(t, "accounting", simulator.Xero), xeroCreated, xeroUpdated, true),
		wantView(catalogue(t, "crm", simulator.HubSpot), 0, 0, true),
		wantView(catalogue(t, "crm", simulator.Pipedrive), 0, 0, true),
		wantView(catalogue(t, "crm", simulator.Salesforce), sfCreated, sfUpdated, true),
	}}
	var got map[string]any
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GET /connections (-want +got):\n%s", diff)
	}

	res, body = b.do("GET", "/connections/crm/salesforce?unified_api=ignored")
	var one map[string]any
	if res.StatusCode != http.StatusOK || json.Unmarshal(body, &one) != nil || len(one) != 16 || one["service_id"] != "salesforce" {
		t.Errorf("GET one: %d %s", res.StatusCode, body)
	}
	res, body = b.do("GET", "/connections?unified_api=crm")
	if res.StatusCode != http.StatusOK || strings.Contains(string(body), "xero") || !strings.Contains(string(body), "pipedrive") {
		t.Errorf("GET crm only: %d %s", res.StatusCode, body)
	}
	if res, _ = b.do("DELETE", "/connections/crm/salesforce"); res.StatusCode != http.StatusNoContent {
		t.Errorf("DELETE: %d", res.StatusCode)
	}
	res, body = b.do("GET", "/connections/crm/salesforce")
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), `"state":"available"`) || strings.Contains(string(body), "created_at") {
		t.Errorf("GET after DELETE: %d %s", res.StatusCode, body)
	}
	// Deleted already: Apideck's 404 is ours.
	res, _ = b.do("DELETE", "/connections/crm/salesforce")
	testkit.WantProblem(t, res, 404, "not_found")
	res, _ = b.do("GET", "/connections/crm/close")
	testkit.WantProblem(t, res, 404, "not_found")
	// Outside VAULT_UNIFIED_APIS: not found, without asking Apideck.
	res, _ = b.do("GET", "/connections/file-storage/google-drive")
	testkit.WantProblem(t, res, 404, "not_found")
	res, _ = b.do("DELETE", "/connections/file-storage/google-drive")
	testkit.WantProblem(t, res, 404, "not_found")

	wantSeen := []string{
		"GET /vault/connections org_acme",
		"GET /vault/connections/crm/salesforce org_acme",
		"GET /vault/connections?api=crm org_acme",
		"DELETE /vault/connections/crm/salesforce org_acme",
		"GET /vault/connections/crm/salesforce org_acme",
		"DELETE /vault/connections/crm/salesforce org_acme",
		"GET /vault/connections/crm/close org_acme",
	}
	if diff := cmp.Diff(wantSeen, s.upstream.requests()); diff != "" {
		t.Errorf("upstream requests (-want +got):\n%s", diff)
	}
	for series, want := range map[string]float64{
		`vaultgate_upstream_requests_total{operation="list_connections",outcome="success"}`:                         2,
		`vaultgate_upstream_requests_total{operation="get_connection",outcome="not_found"}`:                         1,
		`vaultgate_upstream_requests_total{operation="delete_connection",outcome="success"}`:                        1,
		`vaultgate_upstream_requests_total{operation="delete_connection",outcome="not_found"}`:                      1,
		`vaultgate_http_requests_total{code="204",method="DELETE",route="/connections/{unified_api}/{service_id}"}`: 1,
	} {
		if v, ok := metricValue(t, s.admin, series); !ok || v != want {
			t.Errorf("%s = %v (present %v), want %v", series, v, ok, want)
		}
	}
	s.logs.WantNoSecrets(t, testAPIKey, tok)
	s.wantNothingHidden(t, b.bodies)
}

// TestConnectionsBadInput: names outside the rules are refused before
// Apideck is asked anything.
func TestConnectionsBadInput(t *testing.T) {
	s := startStack(t, map[string]string{"LOG_LEVEL": "debug", "RATE_LIMIT_PER_MINUTE": "0"})
	b := &browserClient{t: t, base: s.public, header: http.Header{"Authorization": {"Bearer " + s.token(t)}, "Accept": {"application/json"}}}
	for _, tt := range []struct {
		method, path string
		status       int
		code         string
	}{
		{"GET", "/connections/nope/salesforce", 400, "invalid_request"},
		{"DELETE", "/connections/nope/salesforce", 400, "invalid_request"},
		{"GET", "/connections/CRM/salesforce", 400, "invalid_request"},
		{"GET", "/connections/crm/Salesforce", 400, "invalid_request"},
		{"GET", "/connections/crm/sales_force", 400, "invalid_request"},
		{"DELETE", "/connections/crm/sales%20force", 400, "invalid_request"},
		{"GET", "/connections/crm/sales%2Fforce", 400, "invalid_request"},
		{"GET", "/connections/crm/" + strings.Repeat("a", 65), 400, "invalid_request"},
		{"GET", "/connections/crm/%C3%A9", 400, "invalid_request"},
		{"GET", "/connections?unified_api=ats", 400, "invalid_unified_apis"},
		{"GET", "/connections?unified_api=", 400, "invalid_unified_apis"},
		{"GET", "/connections?unified_api=crm&unified_api=crm", 400, "invalid_request"},
		{"GET", "/connections?unified_api=%zz", 400, "invalid_request"},
		{"GET", "/connections/crm", 404, "not_found"},
		{"GET", "/connections/crm/salesforce/extra", 404, "not_found"},
		{"PUT", "/connections/crm/salesforce", 405, "method_not_allowed"},
	} {
		res, _ := b.do(tt.method, tt.path)
		t.Run(tt.method+" "+tt.path, func(t *testing.T) { testkit.WantProblem(t, res, tt.status, tt.code) })
	}
	if n := s.sim.CallsTo(simulator.RouteAny); n != 0 {
		t.Errorf("the simulator got %d calls, want none", n)
	}
	s.logs.WantNoSecrets(t, testAPIKey)
}

func TestConnectionsBrowserGuardsEndToEnd(t *testing.T) {
	s := startStack(t, map[string]string{"VAULT_ALLOW_ACTIONS": "disconnect,reauthorize", "LOG_LEVEL": "debug"}, recordUpstream)
	if err := s.sim.Connect("org_acme", "crm", simulator.Salesforce); err != nil {
		t.Fatal(err)
	}
	tok := s.token(t)
	cookie := http.Header{"Cookie": {"app_session=" + tok}}
	// A cross-site DELETE riding on the cookie.
	h := cookie.Clone()
	h.Set("Sec-Fetch-Site", "cross-site")
	res, _ := do(t, "DELETE", s.public+"/connections/crm/salesforce", h, "")
	testkit.WantProblem(t, res, 403, "cross_site")
	// The same without Sec-Fetch-Site, from another origin.
	h = cookie.Clone()
	h.Set("Origin", "https://evil.example")
	res, _ = do(t, "DELETE", s.public+"/connections/crm/salesforce", h, "")
	testkit.WantProblem(t, res, 403, "cross_site")
	// Same-site, but deletion is not an allowed action.
	h = cookie.Clone()
	h.Set("Sec-Fetch-Site", "same-origin")
	res, _ = do(t, "DELETE", s.public+"/connections/crm/salesforce", h, "")
	testkit.WantProblem(t, res, 403, "action_not_allowed")
	if n := s.sim.CallsTo(simulator.RouteDeleteConnection); n != 0 {
		t.Errorf("the simulator got %d DELETEs, want none", n)
	}
	res, body := do(t, "GET", s.public+"/connections", h, "")
	if res.StatusCode != 200 || strings.Contains(string(body), `"can_disconnect":true`) || !strings.Contains(string(body), `"state":"callable"`) {
		t.Errorf("list: %d %s", res.StatusCode, body)
	}
	h.Set("Sec-Purpose", "prefetch")
	res, _ = do(t, "GET", s.public+"/connections", h, "")
	testkit.WantProblem(t, res, 400, "prefetch_refused")
	if diff := cmp.Diff([]string{"GET /vault/connections org_acme"}, s.upstream.requests()); diff != "" {
		t.Errorf("upstream requests (-want +got):\n%s", diff)
	}
	s.logs.WantNoSecrets(t, testAPIKey, tok)
	s.wantNothingHidden(t, []string{string(body)})
}
