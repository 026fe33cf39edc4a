package sessions

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/vaultgate/vaultgate/internal/redisstate"
	"github.com/vaultgate/vaultgate/internal/redistest"
	"github.com/vaultgate/vaultgate/internal/upstream"
)

const (
	testPrefix = "test:reuse:"
	// redisOutageBound is how long a call may take against a dead or
	// frozen Redis: far above the 250 ms per-call timeout, far below the
	// seconds a missing timeout would cost. Not a performance target.
	redisOutageBound = time.Second
)

// testSession returns a session whose URI and token are easy to spot in
// raw bytes.
func testSession() upstream.Session {
	return upstream.Session{
		URI:       "https://vault.apideck.com/session/URI-MARKER-7f3a",
		Token:     "TOKEN-MARKER-eyJhbGciOiJIUzI1NiJ9",
		CreatedAt: time.Date(2026, 11, 26, 12, 0, 0, 123456789, time.UTC),
	}
}

// newRedisStore starts a redis-server and returns a store on it plus a
// client for reading what was stored.
func newRedisStore(t *testing.T, apiKey string) (*redistest.Server, *redis.Client, *Redis) {
	t.Helper()
	srv := redistest.Start(t)
	c, err := redisstate.NewClient(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return srv, c, mustNewRedis(t, c, apiKey)
}

func mustNewRedis(t *testing.T, c redis.UniversalClient, apiKey string) *Redis {
	t.Helper()
	r, err := NewRedis(c, testPrefix, apiKey)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// mustGet expects Get to succeed and returns what it found.
func mustGet(t *testing.T, r *Redis, key string) (upstream.Session, bool) {
	t.Helper()
	s, ok, err := r.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	return s, ok
}

func mustSet(t *testing.T, r *Redis, key string, s upstream.Session, ttl time.Duration) {
	t.Helper()
	if err := r.Set(context.Background(), key, s, ttl); err != nil {
		t.Fatalf("Set: %v", err)
	}
}

// rawValue reads the single value stored under the store's prefix.
func rawValue(t *testing.T, c *redis.Client) (string, []byte) {
	t.Helper()
	ctx := context.Background()
	keys, err := c.Keys(ctx, testPrefix+"*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 {
		t.Fatalf("stored keys = %q, want exactly one", keys)
	}
	v, err := c.Get(ctx, keys[0]).Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return keys[0], v
}

func TestRedisStoreRoundTrip(t *testing.T) {
	_, _, r := newRedisStore(t, "sk_live_one")
	want := testSession()
	if _, ok := mustGet(t, r, "k1"); ok {
		t.Fatal("hit before anything was stored")
	}
	mustSet(t, r, "k1", want, time.Minute)
	got, ok := mustGet(t, r, "k1")
	if !ok {
		t.Fatal("miss after Set")
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("session (-want +got):\n%s", diff)
	}
	if _, ok := mustGet(t, r, "k2"); ok {
		t.Fatal("hit for a key never stored")
	}
	// A second replica with the same API key reads what the first wrote.
	other := mustNewRedis(t, r.client, "sk_live_one")
	if _, ok := mustGet(t, other, "k1"); !ok {
		t.Fatal("another replica with the same API key missed")
	}
}

func TestRedisStoreKeepsNoSecretsInTheClear(t *testing.T) {
	_, c, r := newRedisStore(t, "sk_live_one")
	s := testSession()
	const key = "user-42-key"
	mustSet(t, r, key, s, time.Minute)
	name, value := rawValue(t, c)
	for _, secretPart := range []string{s.URI, s.Token, "URI-MARKER", "TOKEN-MARKER", "vault.apideck.com", "sk_live_one"} {
		if bytes.Contains(value, []byte(secretPart)) || bytes.Contains([]byte(name), []byte(secretPart)) {
			t.Errorf("Redis holds %q in the clear", secretPart)
		}
	}
	if bytes.Contains([]byte(name), []byte(key)) {
		t.Errorf("Redis key %q contains the lookup key in the clear", name)
	}
}

func TestRedisStoreUnreadableValuesAreMisses(t *testing.T) {
	tests := []struct {
		name string
		// move returns the store to read with and the key to read, after
		// the value stored under "k1" was tampered with or moved.
		move func(t *testing.T, c *redis.Client, written *Redis, name string, value []byte) (*Redis, string)
	}{
		{"other API key", func(t *testing.T, c *redis.Client, _ *Redis, name string, value []byte) (*Redis, string) {
			// Put the value exactly where the rotated store looks.
			rotated := mustNewRedis(t, c, "sk_live_two")
			setRaw(t, c, rotated.redisKey("k1"), value)
			return rotated, "k1"
		}},
		{"copied to another key", func(t *testing.T, c *redis.Client, written *Redis, _ string, value []byte) (*Redis, string) {
			setRaw(t, c, written.redisKey("k2"), value)
			return written, "k2"
		}},
		{"flipped bit", func(t *testing.T, c *redis.Client, written *Redis, name string, value []byte) (*Redis, string) {
			tampered := bytes.Clone(value)
			tampered[len(tampered)/2] ^= 1
			setRaw(t, c, name, tampered)
			return written, "k1"
		}},
		{"truncated", func(t *testing.T, c *redis.Client, written *Redis, name string, value []byte) (*Redis, string) {
			setRaw(t, c, name, value[:5])
			return written, "k1"
		}},
		{"plaintext", func(t *testing.T, c *redis.Client, written *Redis, name string, _ []byte) (*Redis, string) {
			setRaw(t, c, name, []byte(`{"uri":"https://evil.example/","token":"t"}`))
			return written, "k1"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, c, r := newRedisStore(t, "sk_live_one")
			mustSet(t, r, "k1", testSession(), time.Minute)
			name, value := rawValue(t, c)
			reader, key := tt.move(t, c, r, name, value)
			if s, ok := mustGet(t, reader, key); ok {
				t.Fatalf("unreadable value served as a hit: %+v", s)
			}
		})
	}
}

func setRaw(t *testing.T, c *redis.Client, key string, value []byte) {
	t.Helper()
	if err := c.Set(context.Background(), key, value, time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
}

func TestRedisStoreSetsTTL(t *testing.T) {
	tests := []time.Duration{1500 * time.Millisecond, 2 * time.Minute}
	for _, ttl := range tests {
		t.Run(ttl.String(), func(t *testing.T) {
			_, c, r := newRedisStore(t, "sk_live_one")
			mustSet(t, r, "k1", testSession(), ttl)
			name, _ := rawValue(t, c)
			got, err := c.PTTL(context.Background(), name).Result()
			if err != nil {
				t.Fatal(err)
			}
			if got <= 0 || got > ttl {
				t.Fatalf("PTTL = %v, want in (0, %v]", got, ttl)
			}
		})
	}
}

func TestRedisStoreIgnoresTinyTTL(t *testing.T) {
	_, c, r := newRedisStore(t, "sk_live_one")
	for _, ttl := range []time.Duration{0, -time.Second, time.Microsecond} {
		mustSet(t, r, "k1", testSession(), ttl)
	}
	if n, err := c.DBSize(context.Background()).Result(); err != nil || n != 0 {
		t.Fatalf("DBSIZE = %d, %v; want nothing stored", n, err)
	}
}

func TestNewRedisNeedsAnAPIKey(t *testing.T) {
	if _, err := NewRedis(nil, testPrefix, ""); err == nil {
		t.Fatal("NewRedis accepted an empty API key")
	}
}

func TestRedisStoreOutageReturnsErrorQuickly(t *testing.T) {
	tests := []struct {
		name     string
		down, up func(*redistest.Server)
	}{
		{"killed", (*redistest.Server).Kill, (*redistest.Server).Restart},
		{"frozen", (*redistest.Server).Pause, (*redistest.Server).Resume},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _, r := newRedisStore(t, "sk_live_one")
			mustSet(t, r, "k1", testSession(), time.Minute) // pools a connection
			tt.down(srv)

			ctx := context.Background()
			calls := []struct {
				name string
				fn   func() error
			}{
				{"Get", func() error { _, _, err := r.Get(ctx, "k1"); return err }},
				{"Set", func() error { return r.Set(ctx, "k2", testSession(), time.Minute) }},
			}
			for _, call := range calls {
				began := time.Now()
				err := call.fn()
				took := time.Since(began)
				if err == nil {
					t.Fatalf("%s: no error while Redis is down", call.name)
				}
				if took > redisOutageBound {
					t.Fatalf("%s took %v while Redis was down, want < %v", call.name, took, redisOutageBound)
				}
			}

			tt.up(srv)
			waitStoreOK(t, r)
		})
	}
}

// waitStoreOK writes and reads until Redis answers again: the first calls
// may still meet connections the outage broke.
func waitStoreOK(t *testing.T, r *Redis) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := r.Set(context.Background(), "after", testSession(), time.Minute)
		if err == nil {
			if _, ok := mustGet(t, r, "after"); !ok {
				t.Fatal("miss right after Set once Redis was back")
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("Redis still failing after recovery: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
