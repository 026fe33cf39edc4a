package testkit

import (
	"testing"
	"time"
)

func TestRedisStartKillRestart(t *testing.T) {
	s := StartRedis(t)
	if err := pingRedis(s.Addr()); err != nil {
		t.Fatalf("started server does not answer PING: %v", err)
	}
	s.Kill()
	if err := pingRedis(s.Addr()); err == nil {
		t.Fatal("killed server still answers PING")
	}
	s.Restart()
	if err := pingRedis(s.Addr()); err != nil {
		t.Fatalf("restarted server does not answer PING: %v", err)
	}
}

func TestRedisPauseResume(t *testing.T) {
	s := StartRedis(t)
	s.Pause()
	done := make(chan error, 1)
	go func() { done <- pingRedis(s.Addr()) }()
	select {
	case err := <-done:
		// The kernel still accepts the connection; only an answer would
		// mean the server was not frozen.
		if err == nil {
			t.Fatal("paused server answered PING")
		}
	case <-time.After(100 * time.Millisecond):
	}
	s.Resume()
	if err := <-done; err != nil {
		t.Fatalf("PING sent while paused failed after Resume: %v", err)
	}
}

func TestRedisCleanupStops(t *testing.T) {
	var addr string
	t.Run("inner", func(t *testing.T) {
		addr = StartRedis(t).Addr()
	})
	if err := pingRedis(addr); err == nil {
		t.Fatal("server still running after its test's cleanup")
	}
}
