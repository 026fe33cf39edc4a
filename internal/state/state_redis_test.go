package state

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/vaultgate/vaultgate/internal/testkit"
)

// redisOutageBound is how long a call may take against a dead or frozen
// Redis: far above the 250 ms per-call timeout, far below the seconds a
// missing timeout would cost. Not a performance target.
const redisOutageBound = time.Second

// startRedis starts a redis-server and returns a client built the way
// production builds it.
func startRedis(t *testing.T) (*testkit.Redis, *redis.Client) {
	t.Helper()
	srv := testkit.StartRedis(t)
	c, err := newRedisClient(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return srv, c
}

func TestNewRedisClientDefaultsAndURLOverrides(t *testing.T) {
	type timeouts struct {
		Dial, Read, Write, Pool time.Duration
		PoolSize, MaxRetries    int
		ContextTimeout          bool
	}
	tests := []struct {
		name string
		url  string
		want timeouts
	}{
		{"defaults", "redis://127.0.0.1:6379/0",
			timeouts{dialTimeout, ioTimeout, ioTimeout, ioTimeout, poolSize, maxRetries, true}},
		// max_retries=-1 is go-redis's "no retries", which it stores as 0.
		{"query wins", "redis://127.0.0.1:6379/0?dial_timeout=2s&read_timeout=1s&pool_size=5&max_retries=-1",
			timeouts{2 * time.Second, time.Second, time.Second, ioTimeout, 5, 0, true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := newRedisClient(tt.url)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = c.Close() })
			o := c.Options()
			got := timeouts{o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.PoolTimeout, o.PoolSize, o.MaxRetries, o.ContextTimeoutEnabled}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("options (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNewRedisClientErrorsHideThePassword(t *testing.T) {
	const password = "hunter2-s3cret"
	for _, raw := range []string{
		"redis://:" + password + "@127.0.0.1:bad-port/0",
		"http://:" + password + "@127.0.0.1:6379/0",
		"redis://:" + password + "@127.0.0.1:6379/zero",
		"redis://:" + password + "@127.0.0.1:6379/0?unknown=1",
		"redis://:" + password + "@127.0.0.1:6379/0\x7f",
	} {
		_, err := newRedisClient(raw)
		if err == nil {
			t.Errorf("newRedisClient accepted an invalid URL (%d bytes)", len(raw))
			continue
		}
		if strings.Contains(err.Error(), password) {
			t.Errorf("error reveals the password: %v", err)
		}
	}
}

func TestPingRedis(t *testing.T) {
	srv, c := startRedis(t)
	ctx := context.Background()
	if err := pingRedis(ctx, c); err != nil {
		t.Fatalf("healthy Redis: %v", err)
	}
	srv.Kill()
	if err := pingRedis(ctx, c); err == nil {
		t.Fatal("killed Redis reported healthy")
	}
	srv.Restart()
	// The pool may first hand out a connection the old server dropped;
	// the retry must then reconnect.
	if err := pingRedis(ctx, c); err != nil {
		t.Fatalf("restarted Redis: %v", err)
	}
}

func TestPingRedisErrorHidesPassword(t *testing.T) {
	const password = "hunter2-s3cret"
	srv := testkit.StartRedis(t)
	addr := srv.Addr()
	srv.Kill()
	c, err := newRedisClient("redis://:" + password + "@" + addr + "/0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	err = pingRedis(context.Background(), c)
	if err == nil {
		t.Fatal("check against a dead server succeeded")
	}
	if strings.Contains(err.Error(), password) {
		t.Fatalf("check error reveals the password: %v", err)
	}
}

func TestRedisLoggerWritesWarnings(t *testing.T) {
	var buf bytes.Buffer
	l := redisLogger{zerolog.New(&buf)}
	// Proof at compile time that go-redis accepts it; not called, since
	// go-redis keeps its logger process-wide.
	_ = func() { redis.SetLogger(l) }
	l.Printf(context.Background(), "redis: connection pool: failed to dial after %d attempts: %v", 2, "connection refused")
	var got map[string]any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("log line is not JSON: %v: %q", err, buf.String())
	}
	want := map[string]any{
		"level":     "warn",
		"component": "redis",
		"message":   "redis: connection pool: failed to dial after 2 attempts: connection refused",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("log line (-want +got):\n%s", diff)
	}
}
