package simulator

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vaultgate/vaultgate/internal/testkit"
)

// do sends one request to the simulator over loopback and reads the answer.
func do(t *testing.T, method, url string, h http.Header) reply {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if h != nil {
		req.Header = h
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: b}
}

type connectionList struct {
	StatusCode int              `json:"status_code"`
	Status     string           `json:"status"`
	Data       []map[string]any `json:"data"`
}

type connectionOne struct {
	StatusCode int            `json:"status_code"`
	Data       map[string]any `json:"data"`
}

func listConnections(t *testing.T, url, query string) []map[string]any {
	t.Helper()
	r := do(t, http.MethodGet, url+"/vault/connections"+query, validHeaders())
	if r.status != http.StatusOK || r.header.Get("Content-Type") != "application/json" {
		t.Fatalf("status %d (%s), body %s", r.status, r.header.Get("Content-Type"), truncate(r.body))
	}
	got := decode[connectionList](t, r.body)
	if got.StatusCode != 200 || got.Status != "OK" {
		t.Errorf("envelope %d %q", got.StatusCode, got.Status)
	}
	return got.Data
}

func ids(conns []map[string]any) []string {
	var out []string
	for _, c := range conns {
		out = append(out, c["id"].(string))
	}
	return out
}

// browserSecrets are the Connection fields that must never reach a browser.
var browserSecrets = []string{"authorize_url", "revoke_url", "settings", "metadata", "form_fields",
	"configuration", "custom_mappings", "consents", "latest_consent", "application_data_scopes", "subscriptions"}

func TestListConnectionsFollowsConnectAndDisconnect(t *testing.T) {
	sim, srv := startSim(t)
	all := listConnections(t, srv.URL, "")
	if want := []string{"accounting+quickbooks", "accounting+xero", "crm+hubspot", "crm+pipedrive", "crm+salesforce", "file-storage+google-drive"}; !slices.Equal(ids(all), want) {
		t.Fatalf("ids = %v, want %v", ids(all), want)
	}
	for _, c := range all {
		if c["state"] != "available" || c["enabled"] != false || c["created_at"] != nil || c["updated_at"] != nil {
			t.Errorf("%s before connect: state %v enabled %v created_at %v updated_at %v", c["id"], c["state"], c["enabled"], c["created_at"], c["updated_at"])
		}
	}

	before := time.Now().UnixMilli()
	if err := sim.Connect(testOwner, "crm", Salesforce); err != nil {
		t.Fatal(err)
	}
	// Another consumer's connection stays its own.
	if err := sim.Connect("org_other", "crm", HubSpot); err != nil {
		t.Fatal(err)
	}
	if got := ids(listConnections(t, srv.URL, "?configured=true")); !slices.Equal(got, []string{"crm+salesforce"}) {
		t.Errorf("configured=true: %v", got)
	}
	if got := ids(listConnections(t, srv.URL, "?configured=false&api=crm")); !slices.Equal(got, []string{"crm+hubspot", "crm+pipedrive"}) {
		t.Errorf("configured=false&api=crm: %v", got)
	}
	if got := ids(listConnections(t, srv.URL, "?api=hris")); len(got) != 0 {
		t.Errorf("api=hris: %v, want none", got)
	}

	one := decode[connectionOne](t, do(t, http.MethodGet, srv.URL+"/vault/connections/crm/salesforce", validHeaders()).body).Data
	if one["state"] != "callable" || one["enabled"] != true || one["health"] != "ok" {
		t.Errorf("after connect: %v %v %v", one["state"], one["enabled"], one["health"])
	}
	created, ok := one["created_at"].(float64)
	if !ok || int64(created) < before || int64(created) > time.Now().UnixMilli() {
		t.Errorf("created_at = %v, want Unix milliseconds of now", one["created_at"])
	}
	if _, ok := one["updated_at"].(float64); !ok {
		t.Errorf("updated_at = %v", one["updated_at"])
	}
	for _, k := range append(browserSecrets, "integration_state", "status", "credentials_expire_at", "name", "tag_line",
		"website", "icon", "logo", "auth_type", "service_id", "unified_api") {
		if v, ok := one[k]; !ok || v == nil {
			t.Errorf("connected connection lacks %s", k)
		}
	}
	if settings, _ := one["settings"].(map[string]any); settings["api_key"] == nil {
		t.Errorf("settings = %v, want a credential a filter must drop", one["settings"])
	}
	if u, _ := one["authorize_url"].(string); !strings.Contains(u, "state=") {
		t.Errorf("authorize_url = %q, want a state token", u)
	}
	if icon, _ := one["icon"].(string); !strings.HasPrefix(icon, "data:image/svg+xml;base64,") {
		t.Errorf("icon = %.40q", icon)
	}

	r := do(t, http.MethodDelete, srv.URL+"/vault/connections/crm/salesforce", validHeaders())
	if r.status != http.StatusNoContent || len(r.body) != 0 {
		t.Fatalf("DELETE: status %d, body %q; want 204 and none", r.status, r.body)
	}
	if got := ids(listConnections(t, srv.URL, "?configured=true")); len(got) != 0 {
		t.Errorf("after DELETE configured=true: %v", got)
	}
	r = do(t, http.MethodDelete, srv.URL+"/vault/connections/crm/salesforce", validHeaders())
	wantAPIError(t, r, http.StatusNotFound, "EntityNotFoundError")
	if got := sim.CallsTo(RouteDeleteConnection); got != 2 {
		t.Errorf("CallsTo(delete) = %d, want 2", got)
	}
}

func wantAPIError(t *testing.T, r reply, status int, typeName string) errorBody {
	t.Helper()
	if r.status != status || r.header.Get("Content-Type") != "application/json" {
		t.Fatalf("status %d (%s), want %d JSON; body %s", r.status, r.header.Get("Content-Type"), status, truncate(r.body))
	}
	b := decode[errorBody](t, r.body)
	if b.StatusCode != status || b.TypeName != typeName || b.Error == "" || b.Message == "" ||
		b.Ref != errorsRef+strings.ToLower(typeName) {
		t.Errorf("error body %+v, want status_code %d type_name %s", b, status, typeName)
	}
	return b
}

func TestConnectionEndpointsRejectLikeSessions(t *testing.T) {
	_, srv := startSim(t)
	without := func(name string) http.Header { h := validHeaders(); h.Del(name); return h }
	wrongKey := validHeaders()
	wrongKey.Set("Authorization", "Bearer nope")
	tests := []struct {
		name, method, path string
		h                  http.Header
		status             int
		typeName           string
	}{
		{"no key", http.MethodGet, "/vault/connections", without("Authorization"), 401, "UnauthorizedError"},
		{"wrong key", http.MethodDelete, "/vault/connections/crm/salesforce", wrongKey, 401, "UnauthorizedError"},
		{"no app", http.MethodGet, "/vault/connections/crm/salesforce", without("X-Apideck-App-Id"), 400, "RequestHeadersValidationError"},
		{"no consumer", http.MethodGet, "/vault/connections", without("X-Apideck-Consumer-Id"), 400, "RequestHeadersValidationError"},
		{"bad api", http.MethodGet, "/vault/connections?api=nope", validHeaders(), 400, "RequestValidationError"},
		{"bad configured", http.MethodGet, "/vault/connections?configured=yes", validHeaders(), 400, "RequestValidationError"},
		{"unknown connector", http.MethodGet, "/vault/connections/crm/zoho", validHeaders(), 404, "EntityNotFoundError"},
		{"unknown api", http.MethodDelete, "/vault/connections/nope/salesforce", validHeaders(), 404, "EntityNotFoundError"},
		{"list method", http.MethodPost, "/vault/connections", validHeaders(), 405, "MethodNotAllowedError"},
		{"one method", http.MethodPatch, "/vault/connections/crm/salesforce", validHeaders(), 405, "MethodNotAllowedError"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantAPIError(t, do(t, tt.method, srv.URL+tt.path, tt.h), tt.status, tt.typeName)
		})
	}
}

func TestInjectionsPerRoute(t *testing.T) {
	sim, srv := startSim(t)
	must := func(in Injection) {
		t.Helper()
		if err := sim.Inject(in); err != nil {
			t.Fatal(err)
		}
	}
	must(Injection{Route: RouteListConnections, Status: 429, Count: 2})
	must(Injection{Route: RouteDeleteConnection, Status: 503, Count: 1})
	must(Injection{Route: RouteGetConnection, Status: 500, Count: 1})

	wantAPIError(t, do(t, http.MethodGet, srv.URL+"/vault/connections", validHeaders()), 429, "TooManyRequestsError")
	// An injection precedes validation, as at a rate limiter in front.
	wantAPIError(t, do(t, http.MethodGet, srv.URL+"/vault/connections", nil), 429, "TooManyRequestsError")
	listConnections(t, srv.URL, "") // count used up

	r := do(t, http.MethodDelete, srv.URL+"/vault/connections/crm/salesforce", validHeaders())
	if r.status != 503 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
		t.Errorf("injected 503: status %d (%s), want a gateway's HTML", r.status, r.header.Get("Content-Type"))
	}
	// 500 comes from Apideck's application: JSON in its error shape.
	wantAPIError(t, do(t, http.MethodGet, srv.URL+"/vault/connections/crm/salesforce", validHeaders()), 500, typeGeneric)

	// RouteAny with no count applies to every route until cleared.
	must(Injection{Route: RouteAny, Status: 402})
	wantAPIError(t, mustPost(t, srv.URL, validHeaders(), ""), 402, "RequestLimitError")
	wantAPIError(t, do(t, http.MethodGet, srv.URL+"/vault/connections/accounting/xero", validHeaders()), 402, "RequestLimitError")
	sim.ClearInjections()
	if r := mustPost(t, srv.URL, validHeaders(), ""); r.status != 200 {
		t.Errorf("after ClearInjections: %d", r.status)
	}
	if got := sim.CallsTo(RouteAny); got != 8 {
		t.Errorf("CallsTo(*) = %d, want 8", got)
	}

	for _, bad := range []Injection{{Route: "nope"}, {Route: RouteAny, Status: 99}, {Route: RouteAny, Status: 600},
		{Route: RouteAny, Delay: -1}, {Route: RouteAny, Delay: 2 * time.Hour}, {Route: RouteAny, Count: -1}} {
		if err := sim.Inject(bad); err == nil {
			t.Errorf("Inject(%+v) accepted", bad)
		}
	}
}

func TestInjectedDelayAndHang(t *testing.T) {
	sim, srv := startSim(t)
	if err := sim.Inject(Injection{Route: RouteGetConnection, Delay: 50 * time.Millisecond, Count: 1}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if r := do(t, http.MethodGet, srv.URL+"/vault/connections/accounting/xero", validHeaders()); r.status != 200 {
		t.Fatalf("delayed call: status %d", r.status)
	}
	if time.Since(start) < 50*time.Millisecond {
		t.Error("answered before the injected delay")
	}

	if err := sim.Inject(Injection{Route: RouteListConnections, Hang: true}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/vault/connections", nil)
	req.Header = validHeaders()
	if _, err := http.DefaultClient.Do(req); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("hung call: err %v, want deadline exceeded", err)
	}
	// Reset releases a held call as a dropped connection.
	done := make(chan error, 1)
	go func() {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/vault/connections", nil)
		req.Header = validHeaders()
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	testkit.Eventually(t, "the held call", func() bool { return sim.CallsTo(RouteListConnections) >= 2 })
	sim.Reset()
	if err := <-done; err == nil {
		t.Error("a released hang answered; want a dropped connection")
	}
	listConnections(t, srv.URL, "")
}

func TestConnectRejectsUnknownConnectors(t *testing.T) {
	sim := newSim(t)
	if err := sim.Connect(testOwner, "crm", "zoho"); !errors.Is(err, ErrUnknownConnector) {
		t.Errorf("Connect: %v", err)
	}
	if err := sim.Disconnect(testOwner, "crm", Salesforce); !errors.Is(err, ErrNotConnected) {
		t.Errorf("Disconnect: %v", err)
	}
}

func TestStoreIsBounded(t *testing.T) {
	st := store{consumers: map[consumerKey]*consumerLinks{}}
	c := Connectors()[0]
	key := func(i int) consumerKey { return consumerKey{"app", fmt.Sprint("org_", i)} }
	for i := range maxConsumers + 10 {
		st.connect(key(i), c, time.Now())
	}
	if n := len(st.consumers); n != maxConsumers {
		t.Errorf("%d consumers kept, want %d", n, maxConsumers)
	}
	// The oldest go first; the newest stay.
	if len(st.links(key(0))) != 0 || len(st.links(key(maxConsumers+9))) != 1 {
		t.Error("eviction did not drop the consumers changed least recently")
	}
}
