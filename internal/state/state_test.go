package state

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/rs/zerolog"

	"github.com/vaultgate/vaultgate/internal/testkit"
	"github.com/vaultgate/vaultgate/internal/upstream"
)

func newState(t *testing.T, o Options, reg prometheus.Registerer) *State {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if o.Upstream == nil {
		o.Upstream = &fakeCreator{}
	}
	s, err := New(ctx, o, reg, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// TestDisabledLimitsAreNil: a limit of 0 (or less) turns the limiter off,
// so nothing is counted and Redis is never asked.
func TestDisabledLimitsAreNil(t *testing.T) {
	for _, url := range []string{"", "redis://127.0.0.1:1/0"} {
		s := newState(t, Options{RedisURL: url, APIKey: "k", UserPerMinute: 0, IPPerMinute: -5}, prometheus.NewRegistry())
		if s.UserLimit != nil || s.IPLimit != nil {
			t.Errorf("RedisURL %q: limiters %v, %v; want nil", url, s.UserLimit, s.IPLimit)
		}
	}
}

func TestInMemoryWithoutRedis(t *testing.T) {
	reg := prometheus.NewRegistry()
	s := newState(t, Options{APIKey: "k", ReuseTTL: time.Minute, SessionLifetime: time.Hour, UserPerMinute: 1, IPPerMinute: 2}, reg)
	if s.RedisCheck != nil {
		t.Error("RedisCheck set without REDIS_URL")
	}
	if d := allow(t, s.UserLimit, "u"); !d.Allowed || d.Remaining != 0 {
		t.Errorf("user limit: %+v", d)
	}
	if allow(t, s.UserLimit, "u").Allowed {
		t.Error("user limit not enforced")
	}
	if d := allow(t, s.IPLimit, "u"); !d.Allowed || d.Remaining != 1 {
		t.Errorf("IP limit shares the user budget: %+v", d)
	}
	for range 2 {
		if _, _, err := s.Sessions.Create(context.Background(), "u", "c", upstream.SessionRequest{}); err != nil {
			t.Fatal(err)
		}
	}
	const want = `
# HELP vaultgate_session_reuse_total Session lookups before calling Apideck, by result (hit, miss, shared).
# TYPE vaultgate_session_reuse_total counter
vaultgate_session_reuse_total{result="hit"} 1
vaultgate_session_reuse_total{result="miss"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "vaultgate_session_reuse_total"); err != nil {
		t.Error(err)
	}
}

func TestSharedThroughRedis(t *testing.T) {
	srv := testkit.StartRedis(t)
	o := Options{RedisURL: srv.URL(), APIKey: "k", ReuseTTL: time.Minute, SessionLifetime: time.Hour, UserPerMinute: 1}
	creator := &fakeCreator{}
	o.Upstream = creator
	a, b := newState(t, o, prometheus.NewRegistry()), newState(t, o, prometheus.NewRegistry())
	if err := a.RedisCheck(context.Background()); err != nil {
		t.Fatalf("RedisCheck: %v", err)
	}
	if !allow(t, a.UserLimit, "u").Allowed || allow(t, b.UserLimit, "u").Allowed {
		t.Error("replicas do not share the user budget")
	}
	for _, s := range []*State{a, b} {
		if _, _, err := s.Sessions.Create(context.Background(), "u", "c", upstream.SessionRequest{}); err != nil {
			t.Fatal(err)
		}
	}
	if n := creator.calls.Load(); n != 1 {
		t.Errorf("upstream calls = %d, want 1 (reused across replicas)", n)
	}
}

func TestNewRejectsADuplicateRegistration(t *testing.T) {
	reg := prometheus.NewRegistry()
	newState(t, Options{}, reg)
	if _, err := New(context.Background(), Options{}, reg, zerolog.Nop()); err == nil {
		t.Fatal("second New on one registry succeeded")
	}
}
