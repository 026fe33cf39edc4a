package state

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"runtime/debug"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
	"golang.org/x/sync/singleflight"

	"github.com/vaultgate/vaultgate/internal/upstream"
)

// Creator is the upstream call Sessions wraps; body is sent as is.
type Creator interface {
	CreateSession(ctx context.Context, consumerID string, body []byte) (upstream.Session, upstream.Result, error)
}

// store keeps sessions for reuse until ttl. On an error reuse is skipped.
type store interface {
	Get(ctx context.Context, key string) (upstream.Session, bool, error)
	Set(ctx context.Context, key string, s upstream.Session, ttl time.Duration) error
}

// Sessions creates Vault sessions: identical requests in flight share one
// upstream call, and a session may be handed out again for a while.
type Sessions struct {
	creator  Creator
	store    store // nil: no reuse
	reuseTTL time.Duration
	reuse    *prometheus.CounterVec
	log      zerolog.Logger
	group    singleflight.Group
}

// newSessions reuses sessions from st for reuseTTL, at most half the lifetime.
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
// subject (requests differing in any never share); errors are *upstream.Error.
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
	o, shared, err := Coalesce(ctx, &s.group, key, func(ctx context.Context) (outcome, error) {
		sess, res, err := s.creator.CreateSession(ctx, consumerID, body)
		if err == nil && s.store != nil {
			if err := s.store.Set(ctx, key, sess, s.reuseTTL); err != nil {
				s.log.Error().Err(err).Msg("session reuse store failed; reuse skipped")
			}
		}
		return outcome{sess, res}, err
	})
	if shared {
		s.reuse.WithLabelValues("shared").Inc()
	}
	return o.session, o.result, err
}

// ErrPanicked is what every caller of a call that panicked gets: a bug,
// answered as an internal error.
var ErrPanicked = errors.New("panic in a shared upstream call")

// Coalesce runs fn once for every identical call (same key) in flight, on
// the first caller's goroutine: no goroutine or channel per request. The
// call does not end with the first caller's request (fn gets a context
// without its cancellation; the upstream deadline bounds it), and everyone
// waits for it, as a caller whose client left would get nothing anyway. A
// panic inside fn becomes an error for every caller: singleflight would
// re-raise it where nothing can recover it, ending the process.
func Coalesce[T any](ctx context.Context, g *singleflight.Group, key string, fn func(context.Context) (T, error)) (_ T, shared bool, _ error) {
	v, err, shared := g.Do(key, func() (_ any, err error) {
		defer func() {
			if p := recover(); p != nil {
				// The stack, not the value, which might quote a request.
				zerolog.Ctx(ctx).Error().Str("panic_type", fmt.Sprintf("%T", p)).Bytes("stack", debug.Stack()).Msg("panic in a shared upstream call")
				err = ErrPanicked
			}
		}()
		return fn(context.WithoutCancel(ctx))
	})
	t, _ := v.(T)
	return t, shared, err
}

// sessionKey hashes subject, consumer and options, each behind its length.
// Replicas share reuse entries only while they compute the same keys.
func sessionKey(subject, consumerID string, body []byte) string {
	buf := make([]byte, 0, 12+len(subject)+len(consumerID)+len(body))
	for _, part := range [][]byte{[]byte(subject), []byte(consumerID), body} {
		buf = append(binary.BigEndian.AppendUint32(buf, uint32(len(part))), part...)
	}
	sum := sha256.Sum256(buf)
	return hex.EncodeToString(sum[:])
}

// memoryStore is a bounded store in this process: when full, expired
// entries go first, then arbitrary ones (a loss costs one upstream call).
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
		maps.DeleteFunc(m.entries, func(_ string, e memoryEntry) bool { return !now.Before(e.expires) })
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

// redisStore is shared by replicas. Sessions are bearer credentials, sealed
// (AES-256-GCM) under a key derived from the API key: a Redis dump reveals
// nothing, replicas sharing the API key read them, rotating it means misses.
type redisStore struct {
	client redis.UniversalClient
	prefix string
	aead   cipher.AEAD
	lookup []byte // HMAC key for Redis key names
}

// storedSession is the plaintext sealed into Redis.
type storedSession struct {
	URI       string    `json:"uri"`
	Token     string    `json:"token"`
	CreatedAt time.Time `json:"created_at"`
}

func newRedisStore(client redis.UniversalClient, prefix, apiKey string) (*redisStore, error) {
	// A new version in the info strings turns every stored value into a miss.
	encKey, err1 := hkdf.Key(sha256.New, []byte(apiKey), nil, "vaultgate session reuse v1 encryption", 32)
	lookup, err2 := hkdf.Key(sha256.New, []byte(apiKey), nil, "vaultgate session reuse v1 lookup", 32)
	var aead cipher.AEAD
	block, err := aes.NewCipher(encKey)
	if err == nil {
		aead, err = cipher.NewGCMWithRandomNonce(block)
	}
	if err := errors.Join(err1, err2, err); err != nil {
		return nil, fmt.Errorf("state: session reuse keys: %w", err)
	}
	return &redisStore{client: client, prefix: prefix, aead: aead, lookup: lookup}, nil
}

func (r *redisStore) Get(ctx context.Context, key string) (upstream.Session, bool, error) {
	ctx, cancel := context.WithTimeout(ctx, redisCallTimeout)
	defer cancel()
	rkey := r.redisKey(key)
	sealed, err := r.client.Get(ctx, rkey).Bytes()
	if errors.Is(err, redis.Nil) {
		return upstream.Session{}, false, nil
	}
	if err != nil {
		return upstream.Session{}, false, fmt.Errorf("state: redis get: %w", err)
	}
	// A value that does not open (rotated API key, tampered, moved) is a miss.
	plain, err := r.aead.Open(nil, nil, sealed, []byte(rkey))
	var st storedSession
	if err != nil || json.Unmarshal(plain, &st) != nil || st.URI == "" || st.Token == "" {
		return upstream.Session{}, false, nil
	}
	return upstream.Session(st), true, nil
}

func (r *redisStore) Set(ctx context.Context, key string, s upstream.Session, ttl time.Duration) error {
	// Redis expiries are in milliseconds: anything shorter cannot be reused.
	if ttl < time.Millisecond {
		return nil
	}
	plain, err := json.Marshal(storedSession(s))
	if err != nil {
		return fmt.Errorf("state: encode session: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, redisCallTimeout)
	defer cancel()
	rkey := r.redisKey(key)
	// The Redis key is the additional data: a value moved elsewhere won't open.
	if err := r.client.Set(ctx, rkey, r.aead.Seal(nil, nil, plain, []byte(rkey)), ttl).Err(); err != nil {
		return fmt.Errorf("state: redis set: %w", err)
	}
	return nil
}

// redisKey is keyed so that someone reading Redis cannot test guesses
// ("does user 42 have a live session?") against the plain hash.
func (r *redisStore) redisKey(key string) string {
	m := hmac.New(sha256.New, r.lookup)
	m.Write([]byte(key))
	return r.prefix + hex.EncodeToString(m.Sum(nil))
}
