package testkit

import (
	"testing"
	"time"
)

// Eventually polls cond until it holds and fails the test when 10 s pass
// first. It waits for background work to happen; it does not measure how
// fast that is.
func Eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
