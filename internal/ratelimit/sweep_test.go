package ratelimit

import (
	"context"
	"fmt"
	"testing"
	"time"
)

func TestSweepRemovesIdleKeys(t *testing.T) {
	t.Parallel()
	const w = time.Minute
	m, clk := newFake(t, 3, w)
	for i := range 1000 {
		allow(t, m, fmt.Sprintf("flood-%d", i))
	}
	allow(t, m, "active")
	clk.Advance(30 * time.Second)
	allow(t, m, "active")
	// Flood keys and the active key's first call are now exactly a window
	// old; the active key's second call still counts.
	clk.Advance(30 * time.Second)

	m.sweep()
	if n := m.keys(); n != 1 {
		t.Fatalf("after sweep: %d keys, want 1 (the active one)", n)
	}
	// The survivor still counts its call.
	if d := allow(t, m, "active"); d.Remaining != 1 {
		t.Errorf("active key Remaining = %d, want 1", d.Remaining)
	}
	clk.Advance(30 * time.Second) // now only the call just made counts
	m.sweep()
	if n := m.keys(); n != 1 {
		t.Fatalf("sweep dropped a key with a call in the window")
	}
	clk.Advance(w)
	m.sweep()
	if n := m.keys(); n != 0 {
		t.Errorf("after the last sweep: %d keys, want 0", n)
	}
}

// TestRun checks that Run sweeps on its own and returns when ctx ends.
func TestRun(t *testing.T) {
	t.Parallel()
	m, clk := newFake(t, 1, 5*time.Millisecond)
	allow(t, m, "a")
	allow(t, m, "b")
	clk.Advance(time.Hour)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		m.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})

	// Liveness, not speed: wait generously for the first tick.
	deadline := time.Now().Add(10 * time.Second)
	for m.keys() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("Run did not sweep idle keys")
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}

func TestRunDisabledReturnsOnCancel(t *testing.T) {
	t.Parallel()
	m := NewMemory(0, time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	m.Run(ctx) // must not block
}

func BenchmarkAllow(b *testing.B) {
	m := NewMemory(30, time.Minute)
	keys := make([]string, 1024)
	for i := range keys {
		keys[i] = fmt.Sprintf("user-%d", i)
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			_, _ = m.Allow(ctx, keys[i%len(keys)])
			i++
		}
	})
}
