package app

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vaultgate/vaultgate/internal/simulator"
	"github.com/vaultgate/vaultgate/internal/testkit"
)

// TestConnectionsBadUpstream: each misbehaving Apideck gets its problem,
// never a 500; nothing of its body reaches the client or the log; only
// GETs are retried.
func TestConnectionsBadUpstream(t *testing.T) {
	const timeout = 500 * time.Millisecond
	s := startStack(t, map[string]string{"APIDECK_TIMEOUT": timeout.String(), "APIDECK_MAX_RETRIES": "1",
		"APIDECK_BREAKER_FAILURES": "100", "RATE_LIMIT_PER_MINUTE": "0", "LOG_LEVEL": "debug"}, recordUpstream)
	if err := s.sim.Connect("org_acme", "crm", simulator.Salesforce); err != nil {
		t.Fatal(err)
	}
	b := &browserClient{t: t, base: s.public, header: http.Header{"Authorization": {"Bearer " + s.token(t)}, "Accept": {"application/json"}}}
	const list, one = "/connections", "/connections/crm/salesforce"
	tests := []struct {
		name         string
		in           simulator.Injection
		method, path string
		status       int
		code         string // "" for a success
		calls        int    // upstream calls made
	}{
		{"html", simulator.Injection{Body: simulator.BodyHTML}, "GET", list, 502, "upstream_invalid_response", 1},
		{"html", simulator.Injection{Body: simulator.BodyHTML}, "GET", one, 502, "upstream_invalid_response", 1},
		{"huge", simulator.Injection{Body: simulator.BodyHuge}, "GET", list, 502, "upstream_invalid_response", 1},
		{"huge", simulator.Injection{Body: simulator.BodyHuge}, "GET", one, 502, "upstream_invalid_response", 1},
		{"extra members", simulator.Injection{Body: simulator.BodyExtra}, "GET", list, 200, "", 1},
		{"extra members", simulator.Injection{Body: simulator.BodyExtra}, "GET", one, 200, "", 1},
		{"404", simulator.Injection{Status: 404}, "GET", list, 502, "upstream_rejected", 1},
		{"404", simulator.Injection{Status: 404}, "GET", one, 404, "not_found", 1},
		{"404", simulator.Injection{Status: 404}, "DELETE", one, 404, "not_found", 1},
		{"400", simulator.Injection{Status: 400}, "GET", list, 502, "upstream_rejected", 1},
		{"422", simulator.Injection{Status: 422}, "DELETE", one, 502, "upstream_rejected", 1},
		{"401", simulator.Injection{Status: 401}, "GET", list, 502, "upstream_auth", 1},
		{"402", simulator.Injection{Status: 402}, "GET", list, 502, "upstream_payment_required", 1},
		{"402", simulator.Injection{Status: 402}, "DELETE", one, 502, "upstream_payment_required", 1},
		{"429", simulator.Injection{Status: 429}, "GET", list, 503, "upstream_busy", 1},
		{"429", simulator.Injection{Status: 429}, "DELETE", one, 503, "upstream_busy", 1},
		{"500", simulator.Injection{Status: 500}, "GET", list, 502, "upstream_unavailable", 2},
		{"502", simulator.Injection{Status: 502}, "GET", one, 502, "upstream_unavailable", 2},
		{"503", simulator.Injection{Status: 503}, "GET", list, 502, "upstream_unavailable", 2},
		{"504", simulator.Injection{Status: 504}, "GET", list, 502, "upstream_unavailable", 2},
		// A DELETE whose outcome is unknown is never repeated.
		{"503", simulator.Injection{Status: 503}, "DELETE", one, 502, "upstream_unavailable", 1},
		{"hang", simulator.Injection{Hang: true}, "GET", list, 504, "upstream_timeout", -1},
		{"hang", simulator.Injection{Hang: true}, "GET", one, 504, "upstream_timeout", -1},
		{"hang", simulator.Injection{Hang: true}, "DELETE", one, 504, "upstream_timeout", 1},
		{"slow", simulator.Injection{Delay: 2 * timeout}, "GET", list, 504, "upstream_timeout", -1},
	}
	for _, tt := range tests {
		t.Run(tt.name+" "+tt.method+" "+tt.path, func(t *testing.T) {
			s.sim.Reset() // forgets calls and injections, releases held calls
			route := map[string]simulator.Route{"GET " + list: simulator.RouteListConnections, "GET " + one: simulator.RouteGetConnection,
				"DELETE " + one: simulator.RouteDeleteConnection}[tt.method+" "+tt.path]
			tt.in.Route = route
			if err := s.sim.Inject(tt.in); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			res, body := b.do(tt.method, tt.path)
			if elapsed := time.Since(start); elapsed > timeout+time.Second {
				t.Errorf("answered after %v, APIDECK_TIMEOUT is %v", elapsed, timeout)
			}
			if tt.code != "" {
				testkit.WantProblem(t, res, tt.status, tt.code)
			} else if res.StatusCode != tt.status || !strings.Contains(string(body), `"service_id":"salesforce"`) {
				t.Errorf("%d %s, want %d", res.StatusCode, body, tt.status)
			}
			if tt.status == 503 && res.Header.Get("Retry-After") == "" {
				t.Error("503 without Retry-After")
			}
			for _, upstream := range []string{"Simulated error", "<html", "right back", "xxxxxxxx", simulator.ExtraSecret} {
				if strings.Contains(string(body), upstream) {
					t.Errorf("the body passes on upstream content %q: %.300s", upstream, body)
				}
			}
			if got := s.sim.CallsTo(route); tt.calls >= 0 && got != tt.calls {
				t.Errorf("the simulator got %d calls, want %d", got, tt.calls)
			}
		})
	}
	s.logs.WantNoSecrets(t, testAPIKey, "Simulated error", "right back", "xxxxxxxx", simulator.ExtraSecret)
	s.wantNothingHidden(t, b.bodies)
}
