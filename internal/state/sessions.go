package state

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"golang.org/x/sync/singleflight"

	"github.com/vaultgate/vaultgate/internal/upstream"
)

// Creator is the upstream call Sessions wraps; body is the encoded
// upstream.SessionRequest, sent as is.
type Creator interface {
	CreateSession(ctx context.Context, consumerID string, body []byte) (upstream.Session, upstream.Result, error)
}

// store keeps sessions for reuse until ttl. An error means the store is
// unusable right now: reuse is skipped, the request goes on.
type store interface {
	Get(ctx context.Context, key string) (upstream.Session, bool, error)
	Set(ctx context.Context, key string, s upstream.Session, ttl time.Duration) error
}

// Sessions creates Vault sessions: identical requests in flight share one
// upstream call, and a session may be handed out again for a while.
type Sessions struct {
	creator  Creator
	store    store         // nil: no reuse
	reuseTTL time.Duration // how long a session may be handed out again
	reuse    *prometheus.CounterVec
	log      zerolog.Logger
	group    singleflight.Group
}

// newSessions reuses sessions from st for reuseTTL, but only while at least
// half of the session's lifetime remains.
func newSessions(c Creator, st store, reuseTTL, lifetime time.Duration, reuse *prometheus.CounterVec, log zerolog.Logger) *Sessions {
	s := &Sessions{creator: c, reuseTTL: min(reuseTTL, lifetime/2), reuse: reuse, log: log}
	if s.reuseTTL > 0 {
		s.store = st
	}
	return s
}

type outcome struct {
	session upstream.Session
	result  upstream.Result
}

// Create returns a session for consumerID built from req on behalf of
// subject; requests differing in any of them never share. Its errors are
// *upstream.Error.
func (s *Sessions) Create(ctx context.Context, subject, consumerID string, req upstream.SessionRequest) (upstream.Session, upstream.Result, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return upstream.Session{}, upstream.Result{}, &upstream.Error{Kind: upstream.KindRejected, Err: err}
	}
	key := sessionKey(subject, consumerID, body)
	if s.store != nil {
		sess, ok, err := s.store.Get(ctx, key)
		switch {
		case err != nil:
			s.log.Error().Err(err).Msg("session reuse store failed; reuse skipped")
		case ok:
			s.reuse.WithLabelValues("hit").Inc()
			return sess, upstream.Result{}, nil
		default:
			s.reuse.WithLabelValues("miss").Inc()
		}
	}
	ch := s.group.DoChan(key, func() (any, error) {
		// The shared call must not die with the first caller's request: the
		// upstream deadline bounds it instead.
		ctx := context.WithoutCancel(ctx)
		sess, res, err := s.creator.CreateSession(ctx, consumerID, body)
		if err == nil && s.store != nil {
			if err := s.store.Set(ctx, key, sess, s.reuseTTL); err != nil {
				s.log.Error().Err(err).Msg("session reuse store failed; reuse skipped")
			}
		}
		return outcome{sess, res}, err
	})
	select {
	case r := <-ch:
		if r.Shared {
			s.reuse.WithLabelValues("shared").Inc()
		}
		o, _ := r.Val.(outcome)
		return o.session, o.result, r.Err
	case <-ctx.Done():
		return upstream.Session{}, upstream.Result{}, &upstream.Error{Kind: upstream.KindTimeout, Err: ctx.Err()}
	}
}

// sessionKey identifies "the same user+consumer+options" by a hash, so that
// neither the subject nor the options are stored as is: SHA-256 over each
// part behind its 4-byte big-endian length. Replicas share reuse entries
// only while they compute the same keys.
func sessionKey(subject, consumerID string, body []byte) string {
	buf := make([]byte, 0, 12+len(subject)+len(consumerID)+len(body))
	for _, part := range [][]byte{[]byte(subject), []byte(consumerID), body} {
		buf = append(binary.BigEndian.AppendUint32(buf, uint32(len(part))), part...)
	}
	sum := sha256.Sum256(buf)
	return hex.EncodeToString(sum[:])
}

// memoryStore is a store in this process, bounded in size: when full,
// expired entries go first, then arbitrary ones (a dropped entry only costs
// one upstream call).
type memoryStore struct {
	mu      sync.Mutex
	max     int
	entries map[string]memoryEntry
}

type memoryEntry struct {
	session upstream.Session
	expires time.Time
}

func newMemoryStore(max int) *memoryStore {
	return &memoryStore{max: max, entries: make(map[string]memoryEntry)}
}

func (m *memoryStore) Get(_ context.Context, key string) (upstream.Session, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.entries[key]
	if ok && !time.Now().Before(e.expires) {
		delete(m.entries, key)
		return upstream.Session{}, false, nil
	}
	return e.session, ok, nil
}

func (m *memoryStore) Set(_ context.Context, key string, s upstream.Session, ttl time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	if _, ok := m.entries[key]; !ok && len(m.entries) >= m.max {
		for k, e := range m.entries {
			if !now.Before(e.expires) {
				delete(m.entries, k)
			}
		}
		for k := range m.entries {
			if len(m.entries) < m.max {
				break
			}
			delete(m.entries, k)
		}
	}
	m.entries[key] = memoryEntry{session: s, expires: now.Add(ttl)}
	return nil
}
