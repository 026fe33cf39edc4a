package app

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vaultgate/vaultgate/internal/demo"
	"github.com/vaultgate/vaultgate/internal/testkit"
)

// TestSessionReuseEndToEnd checks SESSION_REUSE_TTL: the same user asking
// again with the same options gets the same session without a new call;
// another user of the same organisation never gets someone else's session.
func TestSessionReuseEndToEnd(t *testing.T) {
	s := startStack(t, map[string]string{"SESSION_REUSE_TTL": "1m"})
	ada := bearer(s.tokenFor(t, demo.User{ID: "u-ada", OrgID: "org_acme"}))
	bob := bearer(s.tokenFor(t, demo.User{ID: "u-bob", OrgID: "org_acme"}))

	res, _ := do(t, "POST", s.public+"/connect", ada, "")
	first := wantSession(t, res)
	res, _ = do(t, "POST", s.public+"/connect", ada, "")
	again := wantSession(t, res)
	if again != first {
		t.Errorf("second identical request got %+v, want the first session reused", again)
	}
	if got := s.sim.Calls(); got != 1 {
		t.Errorf("upstream calls = %d, want 1", got)
	}

	res, _ = do(t, "POST", s.public+"/connect", bob, "")
	other := wantSession(t, res)
	if other.SessionToken == first.SessionToken {
		t.Error("another user of the same organisation was handed the first user's session")
	}
	if other.ConsumerID != first.ConsumerID {
		t.Errorf("consumer = %q, want the organisation's %q", other.ConsumerID, first.ConsumerID)
	}
	if got := s.sim.Calls(); got != 2 {
		t.Errorf("upstream calls = %d, want 2", got)
	}

	// Different options are a different session too.
	res, _ = do(t, "POST", s.public+"/connect?unified_apis=crm", ada, "")
	if sess := wantSession(t, res); sess.SessionToken == first.SessionToken {
		t.Error("a request with narrower options reused the wider session")
	}
}

// TestSessionReuseKeepsHalfTheLifetime checks that reuse never hands out a
// session past half its life: with a 1 m session and a 1 h reuse window a
// reused session keeps its original expiry, and the shared store is told
// to forget it within 30 s.
func TestSessionReuseKeepsHalfTheLifetime(t *testing.T) {
	env := map[string]string{"SESSION_REUSE_TTL": "1h", "VAULT_SESSION_LENGTH": "1m"}

	t.Run("reused session keeps its expiry", func(t *testing.T) {
		s := startStack(t, env)
		h := bearer(s.token(t))
		res, _ := do(t, "POST", s.public+"/connect", h, "")
		first := wantSession(t, res)
		exp, err := time.Parse(time.RFC3339, first.ExpiresAt)
		if err != nil {
			t.Fatal(err)
		}
		if left := time.Until(exp); left > time.Minute || left < 50*time.Second {
			t.Fatalf("expires_at %s is %v away, want about the 1 m session length", first.ExpiresAt, left)
		}
		time.Sleep(1100 * time.Millisecond) // a reused answer must not restart the clock
		res, _ = do(t, "POST", s.public+"/connect", h, "")
		again := wantSession(t, res)
		if again.SessionToken != first.SessionToken || again.ExpiresAt != first.ExpiresAt {
			t.Errorf("reused session = %+v, want the original with its original expiry %s", again, first.ExpiresAt)
		}
		if got := s.sim.Calls(); got != 1 {
			t.Errorf("upstream calls = %d, want 1", got)
		}
	})

	// The in-memory store's expiry is not observable from outside without
	// waiting 30 s; Redis shows the TTL the service asked for.
	t.Run("shared store entry lives at most half the session", func(t *testing.T) {
		rs := testkit.StartRedis(t)
		withRedis := map[string]string{"REDIS_URL": rs.URL()}
		for k, v := range env {
			withRedis[k] = v
		}
		s := startStack(t, withRedis)
		res, _ := do(t, "POST", s.public+"/connect", bearer(s.token(t)), "")
		wantSession(t, res)

		opts, err := redis.ParseURL(rs.URL())
		if err != nil {
			t.Fatal(err)
		}
		rc := redis.NewClient(opts)
		t.Cleanup(func() { rc.Close() })
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		keys, err := rc.Keys(ctx, "vaultgate:reuse:*").Result()
		if err != nil {
			t.Fatal(err)
		}
		if len(keys) != 1 {
			t.Fatalf("reuse keys in Redis = %d, want 1", len(keys))
		}
		ttl, err := rc.PTTL(ctx, keys[0]).Result()
		if err != nil {
			t.Fatal(err)
		}
		if ttl <= 0 || ttl > 30*time.Second {
			t.Errorf("reuse entry TTL = %v, want at most 30 s (half of the 1 m session)", ttl)
		}
		res, _ = do(t, "POST", s.public+"/connect", bearer(s.token(t)), "")
		wantSession(t, res)
		if got := s.sim.Calls(); got != 1 {
			t.Errorf("upstream calls = %d, want 1 (second request reused through Redis)", got)
		}
	})
}

// TestReuseDoesNotHideFailures checks that a failed call is not remembered:
// the next request tries Apideck again.
func TestReuseDoesNotHideFailures(t *testing.T) {
	s := startStack(t, map[string]string{"SESSION_REUSE_TTL": "1m", "APIDECK_MAX_RETRIES": "0"})
	h := bearer(s.token(t))
	s.sim.QueueStatuses(503)
	res, _ := do(t, "POST", s.public+"/connect", h, "")
	testkit.WantProblem(t, res, http.StatusBadGateway, "upstream_unavailable")
	res, _ = do(t, "POST", s.public+"/connect", h, "")
	wantSession(t, res)
	if got := s.sim.Calls(); got != 2 {
		t.Errorf("upstream calls = %d, want 2", got)
	}
}
