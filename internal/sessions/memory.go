package sessions

import (
	"context"
	"sync"
	"time"

	"github.com/vaultgate/vaultgate/internal/upstream"
)

// Memory is an in-process Store, bounded in size: when full, expired entries
// go first, then arbitrary ones (a dropped entry only costs one upstream call).
type Memory struct {
	mu      sync.Mutex
	max     int
	now     func() time.Time
	entries map[string]memoryEntry
}

type memoryEntry struct {
	session upstream.Session
	expires time.Time
}

// NewMemory returns a store holding at most max sessions.
func NewMemory(max int) *Memory {
	return &Memory{max: max, now: time.Now, entries: make(map[string]memoryEntry)}
}

// Get implements Store.
func (m *Memory) Get(_ context.Context, key string) (upstream.Session, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.entries[key]
	if !ok {
		return upstream.Session{}, false, nil
	}
	if !m.now().Before(e.expires) {
		delete(m.entries, key)
		return upstream.Session{}, false, nil
	}
	return e.session, true, nil
}

// Set implements Store.
func (m *Memory) Set(_ context.Context, key string, s upstream.Session, ttl time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	if _, ok := m.entries[key]; !ok && len(m.entries) >= m.max {
		m.evict(now)
	}
	m.entries[key] = memoryEntry{session: s, expires: now.Add(ttl)}
	return nil
}

// evict makes room for one entry.
func (m *Memory) evict(now time.Time) {
	for k, e := range m.entries {
		if !now.Before(e.expires) {
			delete(m.entries, k)
		}
	}
	for k := range m.entries {
		if len(m.entries) < m.max {
			return
		}
		delete(m.entries, k)
	}
}
