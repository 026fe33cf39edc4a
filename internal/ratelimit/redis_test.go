package ratelimit

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

	"github.com/vaultgate/vaultgate/internal/redisstate"
	"github.com/vaultgate/vaultgate/internal/redistest"
)

// redisOutageBound is how long Allow may take against a dead or frozen Redis.
// It is not a performance target: it sits well above the 250 ms per-call
// timeout and well below the seconds a missing timeout would cost.
const redisOutageBound = time.Second

// newRedisClient starts a redis-server and returns a client built the way
// production builds it.
func newRedisClient(t *testing.T) (*redistest.Server, *redis.Client) {
	t.Helper()
	srv := redistest.Start(t)
	c, err := redisstate.NewClient(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return srv, c
}

func allowRedis(t *testing.T, l *Redis, key string) Decision {
	t.Helper()
	d, err := l.Allow(context.Background(), key)
	if err != nil {
		t.Fatalf("Allow(%q): %v", key, err)
	}
	return d
}

func TestRedisAllowsExactlyLimitThenRefuses(t *testing.T) {
	_, c := newRedisClient(t)
	const limit = 5
	l := NewRedis(c, "test:rl:", limit, time.Minute)
	for i := range limit {
		d := allowRedis(t, l, "user-1")
		want := Decision{Allowed: true, Remaining: limit - i - 1}
		if diff := cmp.Diff(want, d); diff != "" {
			t.Fatalf("call %d (-want +got):\n%s", i+1, diff)
		}
	}
	for i := range 3 {
		d := allowRedis(t, l, "user-1")
		if d.Allowed {
			t.Fatalf("call %d over the limit was allowed", limit+i+1)
		}
		if d.RetryAfter <= 0 || d.RetryAfter > time.Minute {
			t.Fatalf("RetryAfter = %v, want in (0, 1m]", d.RetryAfter)
		}
	}
	// Other keys have their own budget.
	if d := allowRedis(t, l, "user-2"); !d.Allowed {
		t.Fatal("another key was refused")
	}
}

func TestRedisReplicasShareOneBudget(t *testing.T) {
	_, c := newRedisClient(t)
	const limit = 4
	replicas := []*Redis{
		NewRedis(c, "test:rl:", limit, time.Minute),
		NewRedis(c, "test:rl:", limit, time.Minute),
	}
	allowed := 0
	for i := range 2 * limit {
		if allowRedis(t, replicas[i%2], "user-1").Allowed {
			allowed++
		}
	}
	if allowed != limit {
		t.Fatalf("two replicas allowed %d calls, want %d in total", allowed, limit)
	}
}

func TestRedisConcurrentBurstCountsEveryCall(t *testing.T) {
	_, c := newRedisClient(t)
	const limit, callers = 10, 60
	replicas := []*Redis{
		NewRedis(c, "test:rl:", limit, time.Minute),
		NewRedis(c, "test:rl:", limit, time.Minute),
	}
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		allowed int
		errs    []error
	)
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d, err := replicas[i%2].Allow(context.Background(), "burst")
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
			}
			if d.Allowed {
				allowed++
			}
		}()
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

func TestRedisWindowSlides(t *testing.T) {
	_, c := newRedisClient(t)
	// Three calls now and three more 0.6 windows later: a fixed window
	// with a boundary in between would allow all six within one window.
	const limit, window = 3, 2 * time.Second
	l := NewRedis(c, "test:rl:", limit, window)
	start := time.Now()
	for range limit {
		if !allowRedis(t, l, "user-1").Allowed {
			t.Fatal("a call within the limit was refused")
		}
	}
	time.Sleep(window * 6 / 10)
	var last Decision
	for i := range limit {
		last = allowRedis(t, l, "user-1")
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
	if !allowRedis(t, l, "user-1").Allowed {
		t.Fatal("refused after RetryAfter elapsed")
	}
}

func TestRedisKeysAreHashedAndExpire(t *testing.T) {
	_, c := newRedisClient(t)
	const ip = "203.0.113.7"
	l := NewRedis(c, "test:rl:ip:", 3, time.Minute)
	allowRedis(t, l, ip)
	keys, err := c.Keys(context.Background(), "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(ip))
	want := []string{"test:rl:ip:" + hex.EncodeToString(sum[:])}
	if diff := cmp.Diff(want, keys); diff != "" {
		t.Fatalf("keys (-want +got):\n%s", diff)
	}
	for _, k := range keys {
		if strings.Contains(k, ip) {
			t.Fatalf("raw key stored in Redis: %q", k)
		}
	}
	ttl, err := c.PTTL(context.Background(), keys[0]).Result()
	if err != nil {
		t.Fatal(err)
	}
	if ttl <= 0 || ttl > time.Minute {
		t.Fatalf("PTTL = %v, want in (0, 1m]", ttl)
	}
}

func TestRedisDisabledNeverAsks(t *testing.T) {
	// A client pointing nowhere: any command would fail.
	c, err := redisstate.NewClient("redis://127.0.0.1:1/0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	for _, l := range []*Redis{NewRedis(c, "p:", 0, time.Minute), NewRedis(c, "p:", 5, 0)} {
		d, err := l.Allow(context.Background(), "k")
		if err != nil {
			t.Fatalf("disabled limiter asked Redis: %v", err)
		}
		if diff := cmp.Diff(Decision{Allowed: true, Remaining: -1}, d); diff != "" {
			t.Fatalf("decision (-want +got):\n%s", diff)
		}
	}
}

func TestRedisOutageFailsOpenQuickly(t *testing.T) {
	tests := []struct {
		name     string
		down, up func(*redistest.Server)
	}{
		{"killed", (*redistest.Server).Kill, (*redistest.Server).Restart},
		{"frozen", (*redistest.Server).Pause, (*redistest.Server).Resume},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, c := newRedisClient(t)
			l := NewRedis(c, "test:rl:", 1, time.Minute)
			allowRedis(t, l, "user-1") // uses the budget and pools a connection
			if allowRedis(t, l, "user-1").Allowed {
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
func waitRedisOK(t *testing.T, l *Redis, key string) {
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
