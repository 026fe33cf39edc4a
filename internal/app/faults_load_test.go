package app

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/vaultgate/vaultgate/internal/demo"
	"github.com/vaultgate/vaultgate/internal/testkit"
)

// TestConcurrencyLimitRefusesWithBusy fills the only upstream slot with a
// slow call and checks that other users are turned away after the slot
// wait instead of queueing behind it.
func TestConcurrencyLimitRefusesWithBusy(t *testing.T) {
	s := startStack(t, map[string]string{
		"APIDECK_MAX_CONCURRENCY": "1",
		"APIDECK_TIMEOUT":         "5s",
		"APIDECK_MAX_RETRIES":     "0",
	})
	t.Cleanup(s.sim.Reset)
	s.sim.SetLatency(2 * time.Second)
	const users = 4
	// Different users: identical requests would share one call instead.
	tokens := make([]string, users)
	for i := range tokens {
		tokens[i] = s.tokenFor(t, demo.User{ID: fmt.Sprintf("u-busy-%d", i), OrgID: "org_busy"})
	}
	replies := together(users, func(i int) faultReply {
		return sendConnect(noRedirect, s.public+"/connect", bearer(tokens[i]), "")
	})

	var ok, busy []faultReply
	for i, r := range replies {
		if r.err != nil {
			t.Fatalf("request %d: %v", i, r.err)
		}
		switch r.status {
		case http.StatusOK:
			ok = append(ok, r)
		case http.StatusServiceUnavailable:
			busy = append(busy, r)
		default:
			t.Fatalf("request %d: status %d (%s)", i, r.status, r.body)
		}
	}
	if len(ok) != 1 || len(busy) != users-1 {
		t.Fatalf("got %d successes and %d busy, want 1 and %d", len(ok), len(busy), users-1)
	}
	for _, r := range busy {
		testkit.WantProblem(t, r.res, http.StatusServiceUnavailable, "upstream_busy")
		wantRetryAfter(t, r.res.Header.Get("Retry-After"), 1, 60)
		// They waited for a slot (about a second) and gave up before the
		// slow call ended, rather than queueing behind it.
		if r.elapsed < 800*time.Millisecond {
			t.Errorf("busy answer after %v, want it after the ~1 s slot wait", r.elapsed)
		}
		if r.elapsed >= ok[0].elapsed {
			t.Errorf("busy answer after %v, not before the slow call finished (%v)", r.elapsed, ok[0].elapsed)
		}
	}
	if got := s.sim.Calls(); got != 1 {
		t.Errorf("upstream calls = %d, want 1: refused requests must not reach Apideck", got)
	}
}

// TestIdenticalRequestsShareOneCall checks coalescing: identical requests in
// flight together cost Apideck one call and get one session; requests with
// different options do not share.
func TestIdenticalRequestsShareOneCall(t *testing.T) {
	s := startStack(t, map[string]string{"RATE_LIMIT_PER_MINUTE": "0"})
	t.Cleanup(s.sim.Reset)
	// Long enough that every request arrives while the first call is out.
	s.sim.SetLatency(700 * time.Millisecond)
	tok := s.token(t)
	const n = 20

	t.Run("same options", func(t *testing.T) {
		replies := together(n, func(int) faultReply {
			return sendConnect(noRedirect, s.public+"/connect?unified_apis=crm", bearer(tok), "")
		})
		tokens := sessionTokens(t, replies)
		if len(tokens) != 1 {
			t.Errorf("%d distinct sessions handed out, want 1", len(tokens))
		}
		if got := s.sim.Calls(); got != 1 {
			t.Errorf("upstream calls = %d, want 1", got)
		}
	})

	t.Run("different options", func(t *testing.T) {
		s.sim.Reset()
		s.sim.SetLatency(700 * time.Millisecond)
		replies := together(n, func(i int) faultReply {
			api := []string{"crm", "accounting"}[i%2]
			return sendConnect(noRedirect, s.public+"/connect?unified_apis="+api, bearer(tok), "")
		})
		tokens := sessionTokens(t, replies)
		if len(tokens) != 2 {
			t.Errorf("%d distinct sessions handed out, want 2 (one per option set)", len(tokens))
		}
		if got := s.sim.Calls(); got != 2 {
			t.Errorf("upstream calls = %d, want 2", got)
		}
	})
}

// sessionTokens checks that every reply is a session and returns how many
// times each session token was handed out.
func sessionTokens(t *testing.T, replies []faultReply) map[string]int {
	t.Helper()
	seen := map[string]int{}
	for i, r := range replies {
		if r.err != nil || r.status != http.StatusOK {
			t.Fatalf("request %d: status %d err %v (%s)", i, r.status, r.err, r.body)
		}
		seen[wantSession(t, r.res).SessionToken]++
	}
	return seen
}
