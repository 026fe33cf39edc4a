package app

import (
	"net/http"
	"testing"

	"github.com/vaultgate/vaultgate/internal/demo"
	"github.com/vaultgate/vaultgate/internal/testkit"
)

// TestUserRateLimitEndToEnd checks RATE_LIMIT_PER_MINUTE per verified
// subject: the third request in a minute is refused with a usable hint,
// and another user is unaffected.
func TestUserRateLimitEndToEnd(t *testing.T) {
	s := startStack(t, map[string]string{"RATE_LIMIT_PER_MINUTE": "2"})
	ada := bearer(s.tokenFor(t, demo.User{ID: "u-ada", OrgID: "org_acme"}))
	for i := range 2 {
		res, b := do(t, "POST", s.public+"/connect", ada, "")
		if res.StatusCode != http.StatusOK {
			t.Fatalf("request %d: status %d (%s)", i+1, res.StatusCode, b)
		}
	}
	// A fresh token for the same subject shares the budget.
	res, _ := do(t, "POST", s.public+"/connect", bearer(s.tokenFor(t, demo.User{ID: "u-ada", OrgID: "org_acme"})), "")
	testkit.WantProblem(t, res, http.StatusTooManyRequests, "rate_limited")
	wantRetryAfter(t, res.Header.Get("Retry-After"), 1, 60)
	if got := s.sim.Calls(); got != 2 {
		t.Errorf("upstream calls = %d, want 2: a limited request must not reach Apideck", got)
	}

	res, b := do(t, "POST", s.public+"/connect", bearer(s.tokenFor(t, demo.User{ID: "u-bob", OrgID: "org_acme"})), "")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("another user: status %d (%s)", res.StatusCode, b)
	}
	wantMetric(t, s.admin, `vaultgate_rate_limited_total{scope="user"}`, 1)
}

// TestIPRateLimitCountsBeforeAuth checks RATE_LIMIT_PER_IP_PER_MINUTE: bad
// tokens use up the address's budget, so a flood of them ends in 429s
// without a signature check, and then even a valid token is refused.
func TestIPRateLimitCountsBeforeAuth(t *testing.T) {
	s := startStack(t, map[string]string{"RATE_LIMIT_PER_IP_PER_MINUTE": "3"})
	garbage := bearer("not-a-jwt")
	for range 3 {
		res, _ := do(t, "POST", s.public+"/connect", garbage, "")
		testkit.WantProblem(t, res, http.StatusUnauthorized, "unauthenticated")
	}
	res, _ := do(t, "POST", s.public+"/connect", garbage, "")
	testkit.WantProblem(t, res, http.StatusTooManyRequests, "rate_limited")
	wantRetryAfter(t, res.Header.Get("Retry-After"), 1, 60)

	res, _ = do(t, "POST", s.public+"/connect", bearer(s.token(t)), "")
	testkit.WantProblem(t, res, http.StatusTooManyRequests, "rate_limited")
	if got := s.sim.Calls(); got != 0 {
		t.Errorf("upstream calls = %d, want 0", got)
	}
	wantMetric(t, s.admin, `vaultgate_rate_limited_total{scope="ip"}`, 2)
}

// TestIPRateLimitAndForwardedFor checks which address the per-IP budget is
// charged to: behind TRUSTED_PROXY_HOPS=1 the proxy's X-Forwarded-For entry,
// and with no trusted proxies the TCP peer, whatever the header says.
func TestIPRateLimitAndForwardedFor(t *testing.T) {
	xff := func(addr string) http.Header {
		return http.Header{"Authorization": {"Bearer not-a-jwt"}, "X-Forwarded-For": {addr}}
	}
	cases := []struct {
		name   string
		hops   string
		cidrs  string
		steps  []http.Header
		status []int
	}{
		{
			name: "one trusted proxy: each client its own budget",
			hops: "1", cidrs: "127.0.0.1/32",
			steps: []http.Header{
				xff("203.0.113.7"), xff("203.0.113.7"),
				xff("203.0.113.8"),
				// A spoofed entry left of the proxy's own is ignored.
				xff("203.0.113.99, 203.0.113.7"),
				xff("203.0.113.99, 203.0.113.8"),
			},
			status: []int{401, 429, 401, 429, 429},
		},
		{
			name: "no trusted proxies: the header is ignored",
			hops: "0",
			steps: []http.Header{
				xff("203.0.113.7"), xff("203.0.113.8"), xff("203.0.113.9"),
			},
			status: []int{401, 429, 429},
		},
		{
			// A client reaching vaultgate around the proxy cannot choose its address.
			name: "a peer outside TRUSTED_PROXY_CIDRS: the header is ignored",
			hops: "1", cidrs: "10.0.0.0/8",
			steps: []http.Header{
				xff("203.0.113.7"), xff("203.0.113.8"),
			},
			status: []int{401, 429},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := startStack(t, map[string]string{
				"RATE_LIMIT_PER_IP_PER_MINUTE": "1",
				"TRUSTED_PROXY_HOPS":           tc.hops,
				"TRUSTED_PROXY_CIDRS":          tc.cidrs,
			})
			for i, h := range tc.steps {
				res, b := do(t, "POST", s.public+"/connect", h, "")
				if res.StatusCode != tc.status[i] {
					t.Fatalf("step %d (X-Forwarded-For %q): status %d, want %d (%s)",
						i+1, h.Get("X-Forwarded-For"), res.StatusCode, tc.status[i], b)
				}
			}
		})
	}
}
