// Package ratelimit limits how often a key (a user, a client IP) may act:
// never more than N times in any window. It keeps a sliding log of the last
// N allowed timestamps per key, which, unlike a token bucket or an
// approximate sliding-window counter, can never let N+1 through in a window.
package ratelimit

import (
	"context"
	"sync"
	"time"
)

// shardCount spreads keys over independent mutexes so that concurrent users
// rarely wait on each other. A power of two keeps the modulo cheap.
const shardCount = 64

// Decision is the outcome of one Allow call.
type Decision struct {
	Allowed bool
	// RetryAfter is set when refused: the time until the oldest counted
	// request leaves the window and one more call would be allowed.
	RetryAfter time.Duration
	// Remaining is how many more calls the window admits now; -1 when the
	// limiter is disabled.
	Remaining int
}

// Memory is an in-process limiter, safe for concurrent use. Its state is
// per replica; share limits across replicas with the Redis limiter.
type Memory struct {
	limit  int
	window time.Duration
	// now is the clock, replaceable in tests. Timestamps are stored as
	// offsets from start so that they stay monotonic and take 8 bytes.
	now    func() time.Time
	start  time.Time
	shards [shardCount]shard
}

type shard struct {
	mu   sync.Mutex
	logs map[string]*timeLog
}

// NewMemory returns a limiter that allows limit calls per key in any
// window; limit <= 0 (or a window <= 0) means every call is allowed.
func NewMemory(limit int, window time.Duration) *Memory {
	m := &Memory{limit: limit, window: window, now: time.Now}
	m.start = m.now()
	for i := range m.shards {
		m.shards[i].logs = make(map[string]*timeLog)
	}
	return m
}

func (m *Memory) disabled() bool { return m.limit <= 0 || m.window <= 0 }

// Allow records a call for key if the limit admits it. Refused calls are
// not recorded, so a client hammering a closed window does not extend it.
// The error is always nil; it exists for limiters backed by a network
// store.
func (m *Memory) Allow(ctx context.Context, key string) (Decision, error) {
	if m.disabled() {
		return Decision{Allowed: true, Remaining: -1}, nil
	}
	s := &m.shards[shardOf(key)]
	s.mu.Lock()
	defer s.mu.Unlock()
	// Read the clock under the lock so each log stays in time order.
	now := m.now().Sub(m.start)
	l := s.logs[key]
	if l == nil {
		l = &timeLog{}
		s.logs[key] = l
	}
	l.expire(now, m.window)
	if l.n >= m.limit {
		return Decision{RetryAfter: l.oldest() + m.window - now}, nil
	}
	l.push(now, m.limit)
	return Decision{Allowed: true, Remaining: m.limit - l.n}, nil
}

// Run sweeps idle keys every window until ctx is done, so memory stays
// bounded under floods of distinct keys. Without it, keys are only ever
// trimmed, never dropped.
func (m *Memory) Run(ctx context.Context) {
	if m.disabled() {
		<-ctx.Done()
		return
	}
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

// sweep drops every key whose newest call has left the window: such a key
// would be allowed its full limit anyway, so forgetting it changes nothing.
func (m *Memory) sweep() {
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.Lock()
		now := m.now().Sub(m.start)
		for k, l := range s.logs {
			if l.n == 0 || now-l.newest() >= m.window {
				delete(s.logs, k)
			}
		}
		s.mu.Unlock()
	}
}

// keys counts the tracked keys; for tests.
func (m *Memory) keys() int {
	n := 0
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.Lock()
		n += len(s.logs)
		s.mu.Unlock()
	}
	return n
}

// shardOf hashes key with 32-bit FNV-1a, inlined to avoid allocating a
// hash.Hash per call.
func shardOf(key string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(key); i++ {
		h ^= uint32(key[i])
		h *= 16777619
	}
	return h % shardCount
}
