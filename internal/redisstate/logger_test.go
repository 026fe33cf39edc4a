package redisstate

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
)

func TestLoggerWritesWarnings(t *testing.T) {
	var buf bytes.Buffer
	l := NewLogger(zerolog.New(&buf))
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
