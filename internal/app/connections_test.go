package app

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vaultgate/vaultgate/internal/testkit"
)

// The integrations page end to end, against a fake Apideck that answers
// the connection routes with Apideck's full Connection schema. These move
// to the simulator once it serves GET/DELETE /vault/connections.

// fakeConnections is Apideck's connection API as the tests script it.
type fakeConnections struct {
	t   *testing.T
	srv *httptest.Server

	mu     sync.Mutex
	seen   []string      // "METHOD path?query consumer"
	answer func() string // what the next answer is: "", "html", "huge", "404", "hang"
	hang   chan struct{}
}

// startFakeConnections serves GET /vault/connections, GET and DELETE
// /vault/connections/{api}/{id} on loopback. Requests without the API key
// and app id are refused as Apideck would.
func startFakeConnections(t *testing.T) *fakeConnections {
	t.Helper()
	full, err := os.ReadFile("../upstream/testdata/apideck-connection.json")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeConnections{t: t, answer: func() string { return "" }, hang: make(chan struct{})}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+testAPIKey || r.Header.Get("X-Apideck-App-Id") != testAppID {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		f.mu.Lock()
		f.seen = append(f.seen, r.Method+" "+r.URL.RequestURI()+" "+r.Header.Get("X-Apideck-Consumer-Id"))
		mode := f.answer()
		f.mu.Unlock()
		switch mode {
		case "html":
			w.Header().Set("Content-Type", "text/html")
			_, _ = w.Write([]byte("<html><body>Scheduled maintenance</body></html>"))
			return
		case "huge":
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"data":[`))
			for range 6 << 10 { // 6 MiB of connections
				_, _ = w.Write([]byte(`{"unified_api":"crm","service_id":"x","name":"` + strings.Repeat("n", 1000) + `"},`))
			}
			_, _ = w.Write([]byte(`{}]}`))
			return
		case "404":
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"status_code":404,"error":"Not Found","type_name":"EntityNotFoundError","message":"Unknown Connection"}`))
			return
		case "hang":
			select {
			case <-r.Context().Done():
			case <-f.hang:
			}
			return
		}
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == http.MethodDelete:
			w.WriteHeader(http.StatusNoContent)
		case r.URL.Path == "/vault/connections":
			hubspot := `{"id":"crm+hubspot","unified_api":"crm","service_id":"hubspot","name":"HubSpot","state":"available","enabled":false,` +
				`"authorize_url":"https://unify.apideck.com/vault/authorize/hubspot?state=SECRET-HUBSPOT-STATE","created_at":1764590400000,"updated_at":null}`
			xero := `{"id":"accounting+xero","unified_api":"accounting","service_id":"xero","name":"Xero","state":"added","settings":{"tenant":"SECRET-XERO"}}`
			greenhouse := `{"id":"ats+greenhouse","unified_api":"ats","service_id":"greenhouse","name":"Greenhouse","state":"callable"}`
			_, _ = w.Write([]byte(`{"status_code":200,"status":"OK","data":[` + string(full) + "," + hubspot + "," + greenhouse + "," + xero +
				`],"meta":{"items_on_page":4},"links":{}}`))
		default:
			_, _ = w.Write([]byte(`{"status_code":200,"status":"OK","data":` + string(full) + `}`))
		}
	}))
	t.Cleanup(func() {
		close(f.hang)
		f.srv.Close()
	})
	return f
}

func (f *fakeConnections) set(mode string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.answer = func() string { return mode }
}

func (f *fakeConnections) requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.seen...)
}

// secretsOfTheSchema are values of the fields that must never reach a browser.
var secretsOfTheSchema = regexp.MustCompile(`SECRET-[A-Z-]+`)

func TestConnectionsEndToEnd(t *testing.T) {
	f := startFakeConnections(t)
	s := startStack(t, map[string]string{"APIDECK_BASE_URL": f.srv.URL, "APIDECK_TIMEOUT": "500ms"})
	tok := s.token(t)
	json := http.Header{"Authorization": {"Bearer " + tok}, "Accept": {"application/json"}}

	res, body := do(t, "GET", s.public+"/connections", json, "")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /connections: %d %s", res.StatusCode, body)
	}
	want := `{"consumer_id":"org_acme","connections":[` +
		`{"id":"accounting+xero","unified_api":"accounting","service_id":"xero","name":"Xero","state":"added",` +
		`"connect_url":"/connect?unified_apis=accounting&service_id=xero","can_disconnect":true},` +
		`{"id":"crm+hubspot","unified_api":"crm","service_id":"hubspot","name":"HubSpot","state":"available","enabled":false,` +
		`"created_at":"2025-12-01T12:00:00Z","connect_url":"/connect?unified_apis=crm&service_id=hubspot","can_disconnect":true},` +
		`{"id":"crm+salesforce","unified_api":"crm","service_id":"salesforce","name":"Salesforce",` +
		`"tag_line":"CRM software solutions and enterprise cloud computing from Salesforce","website":"https://www.salesforce.com",` +
		`"icon":"https://res.cloudinary.com/apideck/icons/salesforce","logo":"https://www.salesforce.com/logo.png",` +
		`"auth_type":"oauth2","state":"callable","health":"ok","enabled":true,` +
		`"created_at":"2025-12-01T12:00:00.123Z","updated_at":"2025-12-02T12:00:00Z",` +
		`"connect_url":"/connect?unified_apis=crm&service_id=salesforce","can_disconnect":true}]}` + "\n"
	if diff := cmp.Diff(want, string(body)); diff != "" {
		t.Errorf("GET /connections (-want +got):\n%s", diff)
	}
	if m := secretsOfTheSchema.FindString(string(body)); m != "" {
		t.Errorf("the answer holds %s", m)
	}

	res, body = do(t, "GET", s.public+"/connections/crm/salesforce?unified_api=ignored", json, "")
	var one map[string]any
	if res.StatusCode != http.StatusOK || jsonUnmarshal(body, &one) != nil || len(one) != 16 || one["service_id"] != "salesforce" {
		t.Errorf("GET one: %d %s", res.StatusCode, body)
	}
	res, body = do(t, "GET", s.public+"/connections?unified_api=crm", json, "")
	if res.StatusCode != http.StatusOK || strings.Contains(string(body), "xero") {
		t.Errorf("GET crm only: %d %s", res.StatusCode, body)
	}
	res, _ = do(t, "DELETE", s.public+"/connections/crm/salesforce", bearer(tok), "")
	if res.StatusCode != http.StatusNoContent {
		t.Errorf("DELETE: %d", res.StatusCode)
	}
	f.set("404")
	res, _ = do(t, "DELETE", s.public+"/connections/crm/salesforce", bearer(tok), "")
	testkit.WantProblem(t, res, 404, "not_found")
	res, _ = do(t, "GET", s.public+"/connections/crm/pipedrive", json, "")
	testkit.WantProblem(t, res, 404, "not_found")

	wantSeen := []string{
		"GET /vault/connections org_acme",
		"GET /vault/connections/crm/salesforce org_acme",
		"GET /vault/connections?api=crm org_acme",
		"DELETE /vault/connections/crm/salesforce org_acme",
		"DELETE /vault/connections/crm/salesforce org_acme",
		"GET /vault/connections/crm/pipedrive org_acme",
	}
	if diff := cmp.Diff(wantSeen, f.requests()); diff != "" {
		t.Errorf("upstream requests (-want +got):\n%s", diff)
	}
	for series, want := range map[string]float64{
		`vaultgate_upstream_requests_total{operation="list_connections",outcome="success"}`:                         2,
		`vaultgate_upstream_requests_total{operation="get_connection",outcome="not_found"}`:                         1,
		`vaultgate_upstream_requests_total{operation="delete_connection",outcome="success"}`:                        1,
		`vaultgate_http_requests_total{code="204",method="DELETE",route="/connections/{unified_api}/{service_id}"}`: 1,
	} {
		if v, ok := metricValue(t, s.admin, series); !ok || v != want {
			t.Errorf("%s = %v (present %v), want %v", series, v, ok, want)
		}
	}
	s.logs.WantNoSecrets(t, testAPIKey, tok, "SECRET-AUTHORIZE-STATE", "SECRET-SETTINGS-KEY", "SECRET-HUBSPOT-STATE")
	if m := secretsOfTheSchema.FindString(s.logs.String()); m != "" {
		t.Errorf("the log holds %s", m)
	}
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// TestConnectionsBadUpstream: each misbehaving Apideck gets its problem,
// never a 500, and nothing of its body reaches the client or the log.
func TestConnectionsBadUpstream(t *testing.T) {
	f := startFakeConnections(t)
	s := startStack(t, map[string]string{"APIDECK_BASE_URL": f.srv.URL, "APIDECK_TIMEOUT": "500ms",
		"APIDECK_MAX_RETRIES": "0", "APIDECK_BREAKER_FAILURES": "100", "RATE_LIMIT_PER_MINUTE": "0"})
	json := http.Header{"Authorization": {"Bearer " + s.token(t)}, "Accept": {"application/json"}}
	tests := []struct {
		mode, method, path string
		status             int
		code               string
	}{
		{"html", "GET", "/connections", 502, "upstream_invalid_response"},
		{"html", "GET", "/connections/crm/salesforce", 502, "upstream_invalid_response"},
		{"huge", "GET", "/connections", 502, "upstream_invalid_response"},
		{"404", "GET", "/connections", 502, "upstream_rejected"},
		{"hang", "GET", "/connections", 504, "upstream_timeout"},
		{"hang", "DELETE", "/connections/crm/salesforce", 504, "upstream_timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.mode+" "+tt.method+" "+tt.path, func(t *testing.T) {
			f.set(tt.mode)
			res, body := do(t, tt.method, s.public+tt.path, json, "")
			testkit.WantProblem(t, res, tt.status, tt.code)
			if strings.Contains(string(body), "maintenance") || strings.Contains(string(body), "nnnn") {
				t.Errorf("the body passes on upstream content: %s", body)
			}
		})
	}
	s.logs.WantNoSecrets(t, testAPIKey, "Scheduled maintenance", strings.Repeat("n", 100))
}

func TestConnectionsBrowserGuardsEndToEnd(t *testing.T) {
	f := startFakeConnections(t)
	s := startStack(t, map[string]string{"APIDECK_BASE_URL": f.srv.URL, "VAULT_ALLOW_ACTIONS": "disconnect,reauthorize"})
	tok := s.token(t)
	cookie := http.Header{"Cookie": {"app_session=" + tok}}
	// A cross-site DELETE riding on the cookie.
	h := cookie.Clone()
	h.Set("Sec-Fetch-Site", "cross-site")
	res, _ := do(t, "DELETE", s.public+"/connections/crm/salesforce", h, "")
	testkit.WantProblem(t, res, 403, "cross_site")
	// Same-site, but deletion is not an allowed action.
	h = cookie.Clone()
	h.Set("Sec-Fetch-Site", "same-origin")
	res, _ = do(t, "DELETE", s.public+"/connections/crm/salesforce", h, "")
	testkit.WantProblem(t, res, 403, "action_not_allowed")
	res, body := do(t, "GET", s.public+"/connections", h, "")
	if res.StatusCode != 200 || strings.Contains(string(body), `"can_disconnect":true`) {
		t.Errorf("list: %d %s", res.StatusCode, body)
	}
	h.Set("Sec-Purpose", "prefetch")
	res, _ = do(t, "GET", s.public+"/connections", h, "")
	testkit.WantProblem(t, res, 400, "prefetch_refused")
	if diff := cmp.Diff([]string{"GET /vault/connections org_acme"}, f.requests()); diff != "" {
		t.Errorf("upstream requests (-want +got):\n%s", diff)
	}
	s.logs.WantNoSecrets(t, testAPIKey, tok)
}

func TestCallbackEndToEnd(t *testing.T) {
	s := startStack(t, map[string]string{"VAULT_CALLBACK_PATH": "/vault/callback"})
	const code, state = "4/0AVG7fiQ-e2e-secret-code", "e2e-secret-state-9f8e"
	for _, query := range []string{
		"state=" + state + "&code=" + code + "&scope=email%20profile&authuser=0",
		"error=access_denied&error_description=User%20said+no%21&state=" + state,
		"state=" + state + "&code=" + code + "&x=1&x=2&y=%2F%3f%26%3D&%E2%9C%93=%e2%9c%93",
	} {
		res, _ := do(t, "GET", s.public+"/vault/callback?"+query, http.Header{"Accept": {exampleNavAccept}}, "")
		if want := s.simURL + "/vault/callback?" + query; res.StatusCode != http.StatusFound || res.Header.Get("Location") != want {
			t.Errorf("answer %d Location %q, want 302 %q", res.StatusCode, res.Header.Get("Location"), want)
		}
		if res.Header.Get("Cache-Control") != "no-store" || res.Header.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("headers %v", res.Header)
		}
	}
	res, body := do(t, "GET", s.public+"/vault/callback?state="+state+"&code="+strings.Repeat("c", 8<<10), http.Header{"Accept": {exampleNavAccept}}, "")
	if res.StatusCode != http.StatusBadRequest || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") ||
		!strings.Contains(string(body), res.Header.Get("X-Request-Id")) {
		t.Errorf("oversized query from a browser: %d %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	s.logs.WantNoSecrets(t, testAPIKey, code, state)
}

func TestErrorPagesEndToEnd(t *testing.T) {
	s := startStack(t, map[string]string{"APP_URL": "https://app.example.com/settings"})
	nav := http.Header{"Accept": {exampleNavAccept}}
	res, body := do(t, "GET", s.public+"/connect?unified_apis=crm", nav, "")
	if res.StatusCode != http.StatusUnauthorized || res.Header.Get("Content-Type") != "text/html; charset=utf-8" ||
		res.Header.Get("Content-Security-Policy") != "default-src 'none'; style-src 'unsafe-inline'" ||
		!strings.Contains(string(body), `href="https://app.example.com/settings"`) {
		t.Errorf("navigation without credentials: %d %v\n%s", res.StatusCode, res.Header, body)
	}
	res, _ = do(t, "GET", s.public+"/connect?unified_apis=crm", http.Header{"Accept": {"application/json"}}, "")
	testkit.WantProblem(t, res, 401, "unauthenticated")

	s = startStack(t, map[string]string{"ERROR_REDIRECT_URL": "https://app.example.com/oops?from=vaultgate"})
	res, _ = do(t, "GET", s.public+"/connect?unified_apis=ats", http.Header{"Accept": {exampleNavAccept}, "Authorization": {"Bearer " + s.token(t)}}, "")
	want := "https://app.example.com/oops?error=invalid_unified_apis&from=vaultgate&request_id=" + res.Header.Get("X-Request-Id")
	if res.StatusCode != http.StatusFound || res.Header.Get("Location") != want {
		t.Errorf("navigation error: %d Location %q, want %q", res.StatusCode, res.Header.Get("Location"), want)
	}
}
