package redisstate

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vaultgate/vaultgate/internal/redistest"
)

func TestNewClientDefaultsAndURLOverrides(t *testing.T) {
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
			timeouts{dialTimeout, ioTimeout, ioTimeout, poolTimeout, poolSize, maxRetries, true}},
		// max_retries=-1 is go-redis's "no retries", which it stores as 0.
		{"query wins", "redis://127.0.0.1:6379/0?dial_timeout=2s&read_timeout=1s&pool_size=5&max_retries=-1",
			timeouts{2 * time.Second, time.Second, time.Second, poolTimeout, 5, 0, true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewClient(tt.url)
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

func TestNewClientErrorsHideThePassword(t *testing.T) {
	const password = "hunter2-s3cret"
	for _, raw := range []string{
		"redis://:" + password + "@127.0.0.1:bad-port/0",
		"http://:" + password + "@127.0.0.1:6379/0",
		"redis://:" + password + "@127.0.0.1:6379/zero",
		"redis://:" + password + "@127.0.0.1:6379/0?unknown=1",
		"redis://:" + password + "@127.0.0.1:6379/0\x7f",
	} {
		_, err := NewClient(raw)
		if err == nil {
			t.Errorf("NewClient accepted an invalid URL (%d bytes)", len(raw))
			continue
		}
		if strings.Contains(err.Error(), password) {
			t.Errorf("error reveals the password: %v", err)
		}
	}
}

func TestCheck(t *testing.T) {
	srv := redistest.Start(t)
	c, err := NewClient(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	check := Check(c)
	ctx := context.Background()
	if err := check(ctx); err != nil {
		t.Fatalf("healthy Redis: %v", err)
	}
	srv.Kill()
	if err := check(ctx); err == nil {
		t.Fatal("killed Redis reported healthy")
	}
	srv.Restart()
	// The pool may first hand out a connection the old server dropped;
	// the retry must then reconnect.
	if err := check(ctx); err != nil {
		t.Fatalf("restarted Redis: %v", err)
	}
}

func TestCheckErrorHidesPassword(t *testing.T) {
	const password = "hunter2-s3cret"
	srv := redistest.Start(t)
	addr := srv.Addr()
	srv.Kill()
	c, err := NewClient("redis://:" + password + "@" + addr + "/0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	err = Check(c)(context.Background())
	if err == nil {
		t.Fatal("check against a dead server succeeded")
	}
	if strings.Contains(err.Error(), password) {
		t.Fatalf("check error reveals the password: %v", err)
	}
}
