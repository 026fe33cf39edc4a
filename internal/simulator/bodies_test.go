package simulator

import (
	"net/http"
	"strings"
	"testing"
)

func TestInjectedBodies(t *testing.T) {
	sim, srv := startSim(t)
	if err := sim.Connect("org_42", "crm", Salesforce); err != nil {
		t.Fatal(err)
	}
	inject := func(in Injection) {
		t.Helper()
		if err := sim.Inject(in); err != nil {
			t.Fatal(err)
		}
	}
	one := srv.URL + "/vault/connections/crm/salesforce"

	inject(Injection{Route: RouteGetConnection, Body: BodyHTML, Count: 1})
	if r := do(t, http.MethodGet, one, nil); r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
		t.Errorf("html: %d %s, want 200 HTML even without credentials", r.status, r.header.Get("Content-Type"))
	}

	inject(Injection{Route: RouteListConnections, Body: BodyHuge, Count: 1})
	if r := do(t, http.MethodGet, srv.URL+"/vault/connections", validHeaders()); r.status != 200 || len(r.body) <= hugeBodyBytes ||
		!strings.Contains(string(r.body[:200]), `"data":[`) {
		t.Errorf("huge: %d, %d bytes, starting %s", r.status, len(r.body), truncate(r.body))
	}

	inject(Injection{Route: RouteGetConnection, Body: BodyExtra, Count: 1})
	r := do(t, http.MethodGet, one, validHeaders())
	got := decode[map[string]any](t, r.body)
	data, _ := got["data"].(map[string]any)
	if r.status != 200 || got["x_beta_flag"] == nil || data["oauth_tokens"] == nil || data["state"] != "callable" {
		t.Errorf("extra: %d %s", r.status, truncate(r.body))
	}
	// Timestamps stay Unix milliseconds, not floats.
	if !strings.Contains(string(r.body), `"created_at":1`) || strings.Contains(string(r.body), "e+12") {
		t.Errorf("extra: timestamps rewritten: %s", truncate(r.body))
	}
	if n := strings.Count(string(r.body), ExtraSecret); n != 8 {
		t.Errorf("extra: %d values hold %s, want 4 in the envelope and 4 in data", n, ExtraSecret)
	}

	// A body changes success only: errors and injected statuses stay as they are.
	inject(Injection{Route: RouteGetConnection, Body: BodyExtra, Count: 1})
	wantAPIError(t, do(t, http.MethodGet, srv.URL+"/vault/connections/crm/nope", validHeaders()), 404, typeNotFound)
	inject(Injection{Route: RouteGetConnection, Status: 429, Body: BodyHTML, Count: 1})
	wantAPIError(t, do(t, http.MethodGet, one, validHeaders()), 429, typeTooManyRequests)
	inject(Injection{Route: RouteCreateSession, Body: BodyExtra, Count: 1})
	if r := mustPost(t, srv.URL, validHeaders(), ""); r.status != 200 || !strings.Contains(string(r.body), ExtraSecret) ||
		!strings.Contains(string(r.body), `"session_uri"`) {
		t.Errorf("extra session: %d %s", r.status, truncate(r.body))
	}

	if err := sim.Inject(Injection{Route: RouteAny, Body: "gzip"}); err == nil {
		t.Error("an unknown body was accepted")
	}
}
