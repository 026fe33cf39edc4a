package state

import (
	"context"
	"sync"
	"time"
)

// Decision is the outcome of one Allow call.
type Decision struct {
	Allowed bool
	// RetryAfter is set when refused: the time until the oldest counted
	// call leaves the window and one more would be allowed.
	RetryAfter time.Duration
	Remaining  int // calls the window still admits
}

// Limiter admits at most N calls per key (a user, a client IP) in any
// window. It keeps a sliding log of the allowed calls, which, unlike a token
// bucket or an approximate sliding-window counter, never lets N+1 through
// in a window. Refused calls are not recorded, so a client hammering a
// closed window does not extend it.
type Limiter interface {
	// Allow records a call for key if the limit admits it. An error means
	// Redis failed; the Decision then allows the call (fail open).
	Allow(ctx context.Context, key string) (Decision, error)
}

// memoryLimiter keeps the logs in this process. One mutex suffices: it is
// held for a few map operations in front of an upstream call.
type memoryLimiter struct {
	limit  int
	window time.Duration
	start  time.Time // calls are offsets from it: monotonic, 8 bytes each
	mu     sync.Mutex
	logs   map[string][]time.Duration // allowed calls, oldest first
}

func newMemoryLimiter(limit int, window time.Duration) *memoryLimiter {
	return &memoryLimiter{limit: limit, window: window, start: time.Now(), logs: make(map[string][]time.Duration)}
}

func (m *memoryLimiter) Allow(_ context.Context, key string) (Decision, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	// Read the clock under the lock so each log stays in time order.
	now := time.Since(m.start)
	log := m.logs[key]
	for len(log) > 0 && now-log[0] >= m.window { // a call counts while now-t < window
		log = log[1:]
	}
	if len(log) >= m.limit {
		m.logs[key] = log
		return Decision{RetryAfter: log[0] + m.window - now}, nil
	}
	// Appending to a log trimmed at the front copies only the live
	// entries when it grows: each key holds O(limit) memory.
	m.logs[key] = append(log, now)
	return Decision{Allowed: true, Remaining: m.limit - len(log) - 1}, nil
}

// run sweeps every window until ctx is done, so memory stays bounded under
// floods of distinct keys.
func (m *memoryLimiter) run(ctx context.Context) {
	t := time.NewTicker(m.window)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			m.sweep()
		}
	}
}

// sweep forgets every key whose newest call has left the window: such a key
// would be allowed its full limit anyway.
func (m *memoryLimiter) sweep() {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Since(m.start)
	for k, log := range m.logs {
		if len(log) == 0 || now-log[len(log)-1] >= m.window {
			delete(m.logs, k)
		}
	}
}
