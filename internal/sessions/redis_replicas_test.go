package sessions

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/vaultgate/vaultgate/internal/metrics"
	"github.com/vaultgate/vaultgate/internal/upstream"
)

// tokenCreator hands out a new token per upstream call.
type tokenCreator struct{ calls atomic.Int32 }

func (c *tokenCreator) CreateSession(_ context.Context, consumerID string, _ []byte) (upstream.Session, upstream.Result, error) {
	n := c.calls.Add(1)
	return upstream.Session{URI: "https://vault.test/session/" + consumerID, Token: fmt.Sprintf("tok-%d", n), CreatedAt: time.Now()},
		upstream.Result{Status: 201, Attempts: 1}, nil
}

func TestRedisStoreSharesReuseAcrossReplicas(t *testing.T) {
	_, c, _ := newRedisStore(t, "sk_live_one")
	creator := &tokenCreator{}
	replica := func() *Service {
		return New(creator, metrics.New(prometheus.NewRegistry()), Options{
			Store: mustNewRedis(t, c, "sk_live_one"), ReuseTTL: time.Minute, Lifetime: time.Hour,
			OnError: func(err error) { t.Errorf("store error: %v", err) },
		})
	}
	a, b := replica(), replica()
	ctx := context.Background()
	first, _, err := a.Create(ctx, "user-1", "org_1", upstream.SessionRequest{})
	if err != nil {
		t.Fatal(err)
	}
	again, _, err := b.Create(ctx, "user-1", "org_1", upstream.SessionRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(first, again); diff != "" {
		t.Fatalf("second replica did not reuse the session (-first +second):\n%s", diff)
	}
	if _, _, err := b.Create(ctx, "user-2", "org_1", upstream.SessionRequest{}); err != nil {
		t.Fatal(err)
	}
	if got := creator.calls.Load(); got != 2 {
		t.Fatalf("upstream calls = %d, want 2 (one per user)", got)
	}
}
