package events

import (
	"context"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

const (
	// dedupeTTL is how long an acknowledged webhook-id is remembered, and
	// how old an event may be: Apideck gives up on a delivery after 24 h.
	dedupeTTL = 30 * time.Hour
	// maxAhead is how far in the future an event's occurred_at may lie.
	maxAhead = 5 * time.Minute
	// maxRemembered bounds the ids kept in memory.
	maxRemembered = 100_000
	// redisTimeout bounds one Redis call: a slow Redis counts as down.
	redisTimeout = 250 * time.Millisecond
)

// seenIDs remembers acknowledged webhook-ids.
type seenIDs interface {
	seen(ctx context.Context, id string) (bool, error)
	remember(ctx context.Context, id string) error
}

// memorySeen keeps ids in this process. Ids arrive in time order and all
// live equally long, so the oldest is always first in line to go.
type memorySeen struct {
	mu    sync.Mutex
	at    map[string]time.Time
	order []seenEntry // oldest first; an entry whose time no longer matches is skipped
	max   int
	now   func() time.Time
}

type seenEntry struct {
	id string
	at time.Time
}

func newMemorySeen(max int) *memorySeen {
	return &memorySeen{at: make(map[string]time.Time), max: max, now: time.Now}
}

func (m *memorySeen) seen(_ context.Context, id string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.at[id]
	return ok && m.now().Sub(t) < dedupeTTL, nil
}

func (m *memorySeen) remember(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	m.at[id] = now
	m.order = append(m.order, seenEntry{id, now})
	for len(m.order) > 0 {
		e := m.order[0]
		if t, ok := m.at[e.id]; ok && t.Equal(e.at) {
			if len(m.at) <= m.max && now.Sub(t) < dedupeTTL {
				break
			}
			delete(m.at, e.id)
		}
		m.order[0] = seenEntry{}
		m.order = m.order[1:]
	}
	return nil
}

// redisSeen keeps ids in Redis, shared by every replica.
type redisSeen struct {
	client redis.UniversalClient
	prefix string
}

func (r redisSeen) seen(ctx context.Context, id string) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, redisTimeout)
	defer cancel()
	n, err := r.client.Exists(ctx, r.prefix+id).Result()
	return n > 0, err
}

func (r redisSeen) remember(ctx context.Context, id string) error {
	ctx, cancel := context.WithTimeout(ctx, redisTimeout)
	defer cancel()
	return r.client.Set(ctx, r.prefix+id, 1, dedupeTTL).Err()
}
