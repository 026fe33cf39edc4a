package app

import (
	"net/http"
	"testing"
	"time"

	"github.com/vaultgate/vaultgate/internal/simulator"
	"github.com/vaultgate/vaultgate/internal/testkit"
)

// TestUpstreamFaultsEndToEnd runs every way the simulated Apideck can
// misbehave through the real server and checks what the browser gets and
// how many calls Apideck saw. Each case has its own stack so breaker state
// and retry settings never leak from one case into the next.
func TestUpstreamFaultsEndToEnd(t *testing.T) {
	cases := []struct {
		name   string
		env    map[string]string
		setup  func(*simulator.Simulator)
		status int
		code   string // empty: success expected
		calls  int
		// retryAfter asks for a Retry-After header in whole seconds.
		retryAfter bool
	}{
		{
			name:   "hang times out",
			env:    map[string]string{"APIDECK_TIMEOUT": "500ms"},
			setup:  func(sim *simulator.Simulator) { sim.SetFault(simulator.FaultHang) },
			status: http.StatusGatewayTimeout, code: "upstream_timeout", calls: 1,
		},
		{
			name:   "trickling body times out",
			env:    map[string]string{"APIDECK_TIMEOUT": "500ms"},
			setup:  func(sim *simulator.Simulator) { sim.SetFault(simulator.FaultTrickle) },
			status: http.StatusGatewayTimeout, code: "upstream_timeout", calls: 1,
		},
		{
			name:   "reset mid-body without retries",
			env:    map[string]string{"APIDECK_MAX_RETRIES": "0"},
			setup:  func(sim *simulator.Simulator) { sim.SetFault(simulator.FaultResetMidBody) },
			status: http.StatusBadGateway, code: "upstream_unavailable", calls: 1,
		},
		{
			// A truncated answer is a transport failure: retried, and
			// after the last retry it is "unavailable".
			name:   "reset mid-body is retried",
			env:    map[string]string{"APIDECK_MAX_RETRIES": "2", "APIDECK_TIMEOUT": "8s"},
			setup:  func(sim *simulator.Simulator) { sim.SetFault(simulator.FaultResetMidBody) },
			status: http.StatusBadGateway, code: "upstream_unavailable", calls: 3,
		},
		{
			name:   "429 is passed on, not retried",
			env:    map[string]string{"APIDECK_MAX_RETRIES": "2", "APIDECK_TIMEOUT": "8s"},
			setup:  func(sim *simulator.Simulator) { sim.SetFault(simulator.FaultRetryAfter429) },
			status: http.StatusServiceUnavailable, code: "upstream_busy", calls: 1, retryAfter: true,
		},
		{
			name:   "huge body",
			setup:  func(sim *simulator.Simulator) { sim.SetFault(simulator.FaultHugeBody) },
			status: http.StatusBadGateway, code: "upstream_invalid_response", calls: 1,
		},
		{
			name:   "HTML with 200",
			setup:  func(sim *simulator.Simulator) { sim.SetFault(simulator.FaultHTML200) },
			status: http.StatusBadGateway, code: "upstream_invalid_response", calls: 1,
		},
		{
			name:   "session on a foreign origin",
			setup:  func(sim *simulator.Simulator) { sim.SetFault(simulator.FaultForeignOrigin) },
			status: http.StatusBadGateway, code: "upstream_invalid_response", calls: 1,
		},
		{
			name:   "success without a token",
			setup:  func(sim *simulator.Simulator) { sim.SetFault(simulator.FaultMissingToken) },
			status: http.StatusBadGateway, code: "upstream_invalid_response", calls: 1,
		},
		{
			name:   "5xx then success",
			env:    map[string]string{"APIDECK_MAX_RETRIES": "2", "APIDECK_TIMEOUT": "8s"},
			setup:  func(sim *simulator.Simulator) { sim.QueueStatuses(502) },
			status: http.StatusOK, calls: 2,
		},
		{
			name:   "5xx on every attempt",
			env:    map[string]string{"APIDECK_MAX_RETRIES": "1", "APIDECK_TIMEOUT": "8s"},
			setup:  func(sim *simulator.Simulator) { sim.QueueStatuses(500, 504) },
			status: http.StatusBadGateway, code: "upstream_unavailable", calls: 2,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := startStack(t, tc.env)
			t.Cleanup(s.sim.Reset) // frees anything still held by a fault
			tc.setup(s.sim)

			start := time.Now()
			res, _ := do(t, "POST", s.public+"/connect", bearer(s.token(t)), "")
			elapsed := time.Since(start)

			if tc.code == "" {
				wantSession(t, res)
			} else {
				testkit.WantProblem(t, res, tc.status, tc.code)
			}
			if tc.retryAfter {
				wantRetryAfter(t, res.Header.Get("Retry-After"), 1, 60)
			}
			if got := s.sim.Calls(); got != tc.calls {
				t.Errorf("upstream calls = %d, want %d", got, tc.calls)
			}
			// A loose bound: the point is that the deadline ends the
			// wait, not how quickly the machine runs.
			if tc.status == http.StatusGatewayTimeout && elapsed > 3*time.Second {
				t.Errorf("timeout answered after %v, want within a few seconds of APIDECK_TIMEOUT", elapsed)
			}
		})
	}
}
