package state

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/vaultgate/vaultgate/internal/testkit"
)

func TestRedisAllowsExactlyLimitThenRefuses(t *testing.T) {
	_, c := startRedis(t)
	const limit = 5
	l := testRedisLimiter(t, c, "test:rl:", limit, time.Minute)
	for i := range limit {
		d := allow(t, l, "user-1")
		want := Decision{Allowed: true, Remaining: limit - i - 1}
		if diff := cmp.Diff(want, d); diff != "" {
			t.Fatalf("call %d (-want +got):\n%s", i+1, diff)
		}
	}
	for i := range 3 {
		d := allow(t, l, "user-1")
		if d.Allowed {
			t.Fatalf("call %d over the limit was allowed", limit+i+1)
		}
		if d.RetryAfter <= 0 || d.RetryAfter > time.Minute {
			t.Fatalf("RetryAfter = %v, want in (0, 1m]", d.RetryAfter)
		}
	}
	// Other keys have their own budget.
	if d := allow(t, l, "user-2"); !d.Allowed {
		t.Fatal("another key was refused")
	}
}

func TestRedisReplicasShareOneBudget(t *testing.T) {
	_, c := startRedis(t)
	const limit = 4
	replicas := []*redisLimiter{
		testRedisLimiter(t, c, "test:rl:", limit, time.Minute),
		testRedisLimiter(t, c, "test:rl:", limit, time.Minute),
	}
	allowed := 0
	for i := range 2 * limit {
		if allow(t, replicas[i%2], "user-1").Allowed {
			allowed++
		}
	}
	if allowed != limit {
		t.Fatalf("two replicas allowed %d calls, want %d in total", allowed, limit)
	}
}

func TestRedisConcurrentBurstCountsEveryCall(t *testing.T) {
	_, c := startRedis(t)
	const limit, callers = 10, 60
	replicas := []*redisLimiter{
		testRedisLimiter(t, c, "test:rl:", limit, time.Minute),
		testRedisLimiter(t, c, "test:rl:", limit, time.Minute),
	}
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		allowed int
		errs    []error
	)
	for i := range callers {
		wg.Go(func() {
			d, err := replicas[i%2].Allow(context.Background(), "burst")
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
			}
			if d.Allowed {
				allowed++
			}
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("Allow failed: %v", errs[0])
	}
	// Calls landing in the same microsecond must not overwrite each
	// other's entry, nor may two callers both take the last slot.
	if allowed != limit {
		t.Fatalf("allowed %d of %d concurrent calls, want exactly %d", allowed, callers, limit)
	}
}

// TestRedisWindowSlides runs on real time: the script reads Redis's clock.
func TestRedisWindowSlides(t *testing.T) {
	_, c := startRedis(t)
	// Three calls now and three more 0.6 windows later: a fixed window
	// with a boundary in between would allow all six within one window.
	const limit, window = 3, 2 * time.Second
	l := testRedisLimiter(t, c, "test:rl:", limit, window)
	start := time.Now()
	for range limit {
		if !allow(t, l, "user-1").Allowed {
			t.Fatal("a call within the limit was refused")
		}
	}
	time.Sleep(window * 6 / 10)
	var last Decision
	for i := range limit {
		last = allow(t, l, "user-1")
		if last.Allowed {
			if time.Since(start) >= window {
				t.Skip("the machine was too slow to stay inside the window; cannot judge")
			}
			t.Fatalf("call %d of the second batch was allowed inside the window", i+1)
		}
	}
	if last.RetryAfter <= 0 || last.RetryAfter > window {
		t.Fatalf("RetryAfter = %v, want in (0, %v]", last.RetryAfter, window)
	}
	// Once RetryAfter has passed, the first batch has left the window.
	time.Sleep(last.RetryAfter + 20*time.Millisecond)
	if !allow(t, l, "user-1").Allowed {
		t.Fatal("refused after RetryAfter elapsed")
	}
}

// TestRedisKeysAreKeyedAndExpire: a Redis dump must not reveal client
// addresses, whose plain SHA-256 is undone by hashing all 2^32 of them.
func TestRedisKeysAreKeyedAndExpire(t *testing.T) {
	_, c := startRedis(t)
	const ip = "203.0.113.7"
	l := testRedisLimiter(t, c, "test:rl:ip:", 3, time.Minute)
	allow(t, l, ip)
	keys, err := c.Keys(context.Background(), "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || !strings.HasPrefix(keys[0], "test:rl:ip:") {
		t.Fatalf("keys = %q, want one under test:rl:ip:", keys)
	}
	sum := sha256.Sum256([]byte(ip))
	if name := strings.TrimPrefix(keys[0], "test:rl:ip:"); name == hex.EncodeToString(sum[:]) || strings.Contains(name, ip) {
		t.Fatalf("key %q is the address's plain hash or the address itself", keys[0])
	}
	// Replicas with the same API key share the budget; another key, another name.
	replica := testRedisLimiter(t, c, "test:rl:ip:", 3, time.Minute)
	if allow(t, replica, ip); allow(t, replica, ip).Remaining != 0 {
		t.Fatal("a replica with the same API key does not share the budget")
	}
	other, err := newRedisLimiter(c, "test:rl:ip:", "another-api-key", 3, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	allow(t, other, ip)
	if keys, _ := c.Keys(context.Background(), "*").Result(); len(keys) != 2 {
		t.Fatalf("keys = %q, want 2: one per API key", keys)
	}
	ttl, err := c.PTTL(context.Background(), keys[0]).Result()
	if err != nil {
		t.Fatal(err)
	}
	if ttl <= 0 || ttl > time.Minute {
		t.Fatalf("PTTL = %v, want in (0, 1m]", ttl)
	}
}

func TestRedisOutageFailsOpenQuickly(t *testing.T) {
	tests := []struct {
		name     string
		down, up func(*testkit.Redis)
	}{
		{"killed", (*testkit.Redis).Kill, (*testkit.Redis).Restart},
		{"frozen", (*testkit.Redis).Pause, (*testkit.Redis).Resume},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, c := startRedis(t)
			l := testRedisLimiter(t, c, "test:rl:", 1, time.Minute)
			allow(t, l, "user-1") // uses the budget and pools a connection
			if allow(t, l, "user-1").Allowed {
				t.Fatal("over-limit call allowed while Redis is up")
			}

			tt.down(srv)
			began := time.Now()
			d, err := l.Allow(context.Background(), "user-1")
			took := time.Since(began)
			if err == nil {
				t.Fatal("no error while Redis is down")
			}
			if !d.Allowed {
				t.Fatal("refused while Redis is down; want fail-open")
			}
			if took > redisOutageBound {
				t.Fatalf("Allow took %v while Redis was down, want < %v", took, redisOutageBound)
			}

			tt.up(srv)
			waitRedisOK(t, l, "user-2")
		})
	}
}

// waitRedisOK calls Allow until Redis answers again: the first calls may
// still meet connections the outage broke.
func waitRedisOK(t *testing.T, l Limiter, key string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		d, err := l.Allow(context.Background(), key)
		if err == nil {
			if !d.Allowed {
				t.Fatal("first call for a fresh key refused after recovery")
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("Redis still failing after recovery: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// testRedisLimiter is a limiter under a fixed test API key.
func testRedisLimiter(t *testing.T, c redis.UniversalClient, prefix string, limit int, window time.Duration) *redisLimiter {
	t.Helper()
	l, err := newRedisLimiter(c, prefix, "test-api-key", limit, window)
	if err != nil {
		t.Fatal(err)
	}
	return l
}
