package state

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/vaultgate/vaultgate/internal/testkit"
	"github.com/vaultgate/vaultgate/internal/upstream"
)

const testPrefix = "test:reuse:"

// testSession returns a session whose URI and token are easy to spot in
// raw bytes.
func testSession() upstream.Session {
	return upstream.Session{
		URI:       "https://vault.apideck.com/session/URI-MARKER-7f3a",
		Token:     "TOKEN-MARKER-eyJhbGciOiJIUzI1NiJ9",
		CreatedAt: time.Date(2026, 11, 26, 12, 0, 0, 123456789, time.UTC),
	}
}

// startRedisStore starts a redis-server and returns a store on it plus a
// client for reading what was stored.
func startRedisStore(t *testing.T, apiKey string) (*testkit.Redis, *redis.Client, *redisStore) {
	t.Helper()
	srv, c := startRedis(t)
	return srv, c, mustRedisStore(t, c, apiKey)
}

func mustRedisStore(t *testing.T, c redis.UniversalClient, apiKey string) *redisStore {
	t.Helper()
	r, err := newRedisStore(c, testPrefix, apiKey)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// mustGet expects Get to succeed and returns what it found.
func mustGet(t *testing.T, r *redisStore, key string) (upstream.Session, bool) {
	t.Helper()
	s, ok, err := r.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	return s, ok
}

func mustSet(t *testing.T, r *redisStore, key string, s upstream.Session, ttl time.Duration) {
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
	_, _, r := startRedisStore(t, "sk_live_one")
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
	other := mustRedisStore(t, r.client, "sk_live_one")
	if _, ok := mustGet(t, other, "k1"); !ok {
		t.Fatal("another replica with the same API key missed")
	}
}

func TestRedisStoreKeepsNoSecretsInTheClear(t *testing.T) {
	_, c, r := startRedisStore(t, "sk_live_one")
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
		move func(t *testing.T, c *redis.Client, written *redisStore, name string, value []byte) (*redisStore, string)
	}{
		{"other API key", func(t *testing.T, c *redis.Client, _ *redisStore, name string, value []byte) (*redisStore, string) {
			// Put the value exactly where the rotated store looks.
			rotated := mustRedisStore(t, c, "sk_live_two")
			setRaw(t, c, rotated.redisKey("k1"), value)
			return rotated, "k1"
		}},
		{"copied to another key", func(t *testing.T, c *redis.Client, written *redisStore, _ string, value []byte) (*redisStore, string) {
			setRaw(t, c, written.redisKey("k2"), value)
			return written, "k2"
		}},
		{"flipped bit", func(t *testing.T, c *redis.Client, written *redisStore, name string, value []byte) (*redisStore, string) {
			tampered := bytes.Clone(value)
			tampered[len(tampered)/2] ^= 1
			setRaw(t, c, name, tampered)
			return written, "k1"
		}},
		{"truncated", func(t *testing.T, c *redis.Client, written *redisStore, name string, value []byte) (*redisStore, string) {
			setRaw(t, c, name, value[:5])
			return written, "k1"
		}},
		{"plaintext", func(t *testing.T, c *redis.Client, written *redisStore, name string, _ []byte) (*redisStore, string) {
			setRaw(t, c, name, []byte(`{"uri":"https://evil.example/","token":"t"}`))
			return written, "k1"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, c, r := startRedisStore(t, "sk_live_one")
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
			_, c, r := startRedisStore(t, "sk_live_one")
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
	_, c, r := startRedisStore(t, "sk_live_one")
	for _, ttl := range []time.Duration{0, -time.Second, time.Microsecond} {
		mustSet(t, r, "k1", testSession(), ttl)
	}
	if n, err := c.DBSize(context.Background()).Result(); err != nil || n != 0 {
		t.Fatalf("DBSIZE = %d, %v; want nothing stored", n, err)
	}
}

func TestRedisStoreOutageReturnsErrorQuickly(t *testing.T) {
	tests := []struct {
		name     string
		down, up func(*testkit.Redis)
	}{
		{"killed", (*testkit.Redis).Kill, (*testkit.Redis).Restart},
		{"frozen", (*testkit.Redis).Pause, (*testkit.Redis).Resume},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _, r := startRedisStore(t, "sk_live_one")
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
func waitStoreOK(t *testing.T, r *redisStore) {
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

func TestRedisStoreSharesReuseAcrossReplicas(t *testing.T) {
	_, c := startRedis(t)
	creator := &fakeCreator{}
	replica := func() *Sessions {
		return newTestSessions(creator, mustRedisStore(t, c, "sk_live_one"), time.Minute, time.Hour)
	}
	a, b := replica(), replica()
	var logs bytes.Buffer
	a.log, b.log = zerolog.New(&logs), zerolog.New(&logs)
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
	if logs.Len() != 0 {
		t.Errorf("store errors: %s", logs.String())
	}
}
