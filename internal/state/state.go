// Package state holds what replicas share: rate limits and session
// coalescing and reuse, in this process or, with REDIS_URL, in Redis. Redis
// is never critical: when it fails, limits fail open and reuse is skipped.
package state

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
)

// reuseEntries bounds the in-memory session reuse store.
const reuseEntries = 10_000

// Options configure New.
type Options struct {
	RedisURL string // empty: the state stays in this process
	APIKey   string // the Apideck API key; seals the sessions kept in Redis
	Upstream Creator
	// ReuseTTL is how long a session may be handed out again (0: never),
	// capped at half of SessionLifetime.
	ReuseTTL, SessionLifetime  time.Duration
	UserPerMinute, IPPerMinute int // calls allowed per minute; 0 disables
}

// State is one replica's view of the shared state.
type State struct {
	Sessions           *Sessions
	UserLimit, IPLimit Limiter                         // nil when disabled
	RedisCheck         func(ctx context.Context) error // PINGs Redis; nil without it

	redis *redis.Client
}

// New builds the state and registers its metrics on reg. Memory limiters
// forget idle keys until ctx is done. New does not connect to Redis.
func New(ctx context.Context, o Options, reg prometheus.Registerer, log zerolog.Logger) (*State, error) {
	reuse := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "vaultgate_session_reuse_total",
		Help: "Session lookups before calling Apideck, by result (hit, miss, shared).",
	}, []string{"result"})
	if err := reg.Register(reuse); err != nil {
		return nil, err
	}
	s := &State{}
	var st store = newMemoryStore(reuseEntries)
	if o.RedisURL != "" {
		client, err := newRedisClient(o.RedisURL)
		if err != nil {
			return nil, err
		}
		if st, err = newRedisStore(client, "vaultgate:reuse:", o.APIKey); err != nil {
			_ = client.Close()
			return nil, err
		}
		s.redis = client
		s.RedisCheck = func(ctx context.Context) error { return pingRedis(ctx, client) }
		log.Info().Msg("rate limits and session reuse are shared through Redis")
	}
	s.Sessions = newSessions(o.Upstream, st, o.ReuseTTL, o.SessionLifetime, reuse, log)
	s.UserLimit = s.limiter(ctx, "user", o.UserPerMinute)
	s.IPLimit = s.limiter(ctx, "ip", o.IPPerMinute)
	return s, nil
}

func (s *State) limiter(ctx context.Context, scope string, perMinute int) Limiter {
	switch {
	case perMinute <= 0:
		return nil
	case s.redis != nil:
		return newRedisLimiter(s.redis, "vaultgate:rl:"+scope+":", perMinute, time.Minute)
	}
	l := newMemoryLimiter(perMinute, time.Minute)
	go l.run(ctx)
	return l
}

// Close releases the Redis connections, if any.
func (s *State) Close() error {
	if s.redis == nil {
		return nil
	}
	return s.redis.Close()
}
