package app

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/vaultgate/vaultgate/internal/testkit"
)

// TestReplicasShareLimitsThroughRedis runs two vaultgate instances on one
// real redis-server: the per-user budget is shared, and when Redis dies
// both keep answering (limits fail open) while /readyz stays 200.
func TestReplicasShareLimitsThroughRedis(t *testing.T) {
	rs := testkit.StartRedis(t)
	env := map[string]string{"REDIS_URL": rs.URL(), "RATE_LIMIT_PER_MINUTE": "3"}
	a, b := startStack(t, env), startStack(t, env)
	// Same user (same subject) at both replicas; each replica has its own
	// identity provider in this test, so each mints its own token.
	ta, tb := bearer(a.token(t)), bearer(b.token(t))

	status := func(s *stack, h http.Header) int {
		res, _ := do(t, "POST", s.public+"/connect", h, "")
		return res.StatusCode
	}
	got := []int{status(a, ta), status(b, tb), status(a, ta), status(b, tb)}
	want := []int{200, 200, 200, 429}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("statuses = %v, want %v (budget shared across replicas)", got, want)
		}
	}

	rs.Kill()
	for _, s := range []*stack{a, b} {
		h := ta
		if s == b {
			h = tb
		}
		if code := status(s, h); code != http.StatusOK {
			t.Fatalf("with Redis down /connect = %d, want 200 (fail open)", code)
		}
		res, err := http.Get(s.admin + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || !strings.Contains(string(body), "redis") {
			t.Fatalf("/readyz with Redis down = %d %s, want 200 mentioning redis", res.StatusCode, body)
		}
	}
	if !strings.Contains(a.logs.String(), "rate limit check failed") {
		t.Error("no error logged for the failed rate-limit check")
	}
}
