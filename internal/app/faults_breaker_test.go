package app

import (
	"net/http"
	"testing"
	"time"

	"github.com/vaultgate/vaultgate/internal/testkit"
)

// TestCircuitBreakerEndToEnd drives the breaker through the real server:
// consecutive 5xx open it, an open circuit answers without touching the
// network, and after the cooldown one probe decides whether it closes.
func TestCircuitBreakerEndToEnd(t *testing.T) {
	const cooldown = 300 * time.Millisecond
	s := startStack(t, map[string]string{
		"APIDECK_BREAKER_FAILURES": "3",
		"APIDECK_BREAKER_COOLDOWN": cooldown.String(),
		"APIDECK_MAX_RETRIES":      "0",
		"RATE_LIMIT_PER_MINUTE":    "0",
	})
	h := bearer(s.token(t))
	const state = "vaultgate_upstream_circuit_state"
	wantMetric(t, s.admin, state, 0)

	s.sim.QueueStatuses(503, 503, 503)
	for i := range 3 {
		res, _ := do(t, "POST", s.public+"/connect", h, "")
		testkit.WantProblem(t, res, http.StatusBadGateway, "upstream_unavailable")
		if got := s.sim.Calls(); got != i+1 {
			t.Fatalf("after failure %d: upstream calls = %d, want %d", i+1, got, i+1)
		}
	}
	wantMetric(t, s.admin, state, 2)

	// Open: refused at once, with a hint, and no request leaves the process.
	res, _ := do(t, "POST", s.public+"/connect", h, "")
	testkit.WantProblem(t, res, http.StatusServiceUnavailable, "upstream_unavailable")
	wantRetryAfter(t, res.Header.Get("Retry-After"), 1, 60)
	if got := s.sim.Calls(); got != 3 {
		t.Fatalf("upstream calls while open = %d, want still 3", got)
	}

	// A failed probe opens the circuit again for another cooldown.
	time.Sleep(cooldown + 100*time.Millisecond)
	s.sim.QueueStatuses(503)
	res, _ = do(t, "POST", s.public+"/connect", h, "")
	testkit.WantProblem(t, res, http.StatusBadGateway, "upstream_unavailable")
	if got := s.sim.Calls(); got != 4 {
		t.Fatalf("upstream calls after failed probe = %d, want 4", got)
	}
	res, _ = do(t, "POST", s.public+"/connect", h, "")
	testkit.WantProblem(t, res, http.StatusServiceUnavailable, "upstream_unavailable")
	if got := s.sim.Calls(); got != 4 {
		t.Fatalf("upstream calls after reopening = %d, want still 4", got)
	}
	wantMetric(t, s.admin, state, 2)

	// A successful probe closes it: later requests flow normally.
	time.Sleep(cooldown + 100*time.Millisecond)
	res, _ = do(t, "POST", s.public+"/connect", h, "")
	wantSession(t, res)
	wantMetric(t, s.admin, state, 0)
	res, _ = do(t, "POST", s.public+"/connect", h, "")
	wantSession(t, res)
	if got := s.sim.Calls(); got != 6 {
		t.Fatalf("upstream calls after closing = %d, want 6", got)
	}
	if v, ok := metricValue(t, s.admin, `vaultgate_upstream_requests_total{operation="create_session",outcome="circuit_open"}`); !ok || v != 2 {
		t.Errorf("circuit_open outcomes = %v (present %v), want 2", v, ok)
	}
}
