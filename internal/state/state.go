// Package state holds what replicas share: rate limits and session
// coalescing and reuse, in this process or, with REDIS_URL, in Redis. Redis
// is never critical: when it fails, limits fail open and reuse is skipped.
package state

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
)

// Options configure New.
type Options struct {
	RedisURL                   string // empty: the state stays in this process
	APIKey                     string // the Apideck API key; seals the sessions kept in Redis
	Upstream                   Creator
	ReuseTTL, SessionLifetime  time.Duration // reuse for ReuseTTL (0: never), at most half the lifetime
	UserPerMinute, IPPerMinute int           // calls allowed per minute; 0 disables
}

// State is one replica's view of the shared state.
type State struct {
	Sessions           *Sessions
	UserLimit, IPLimit Limiter                         // nil when disabled
	RedisCheck         func(ctx context.Context) error // PINGs Redis; nil without it
	redis              *redis.Client
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
	var st store = newMemoryStore(10_000)
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
	var err1, err2 error
	s.UserLimit, err1 = s.limiter(ctx, "user", o.UserPerMinute, o.APIKey)
	s.IPLimit, err2 = s.limiter(ctx, "ip", o.IPPerMinute, o.APIKey)
	if err := errors.Join(err1, err2); err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

func (s *State) limiter(ctx context.Context, scope string, perMinute int, apiKey string) (Limiter, error) {
	switch {
	case perMinute <= 0:
		return nil, nil
	case s.redis != nil:
		return newRedisLimiter(s.redis, "vaultgate:rl:"+scope+":", apiKey, perMinute, time.Minute)
	}
	l := newMemoryLimiter(perMinute, time.Minute)
	go l.run(ctx)
	return l, nil
}

// Redis is the client of REDIS_URL, for other state shared through it;
// nil without one.
func (s *State) Redis() redis.UniversalClient {
	if s.redis == nil {
		return nil
	}
	return s.redis
}

// Close releases the Redis connections, if any.
func (s *State) Close() error {
	if s.redis == nil {
		return nil
	}
	return s.redis.Close()
}

// Defaults for what REDIS_URL leaves unset, small on purpose: a slow Redis
// counts as down rather than stalling /connect.
const (
	dialTimeout = 500 * time.Millisecond
	ioTimeout   = 250 * time.Millisecond
	poolSize    = 64
	// One retry covers a pooled connection the server closed while idle.
	maxRetries = 1
	// redisCallTimeout bounds one limiter or store call, retries included.
	redisCallTimeout = 250 * time.Millisecond
)

// newRedisClient builds a client from a REDIS_URL; options in its query
// (dial_timeout, pool_size, …) win over the defaults. It does not connect.
func newRedisClient(rawURL string) (*redis.Client, error) {
	opts, err := redis.ParseURL(rawURL)
	if ue, ok := errors.AsType[*url.Error](err); ok {
		err = ue.Err // net/url's error quotes the URL, which may hold a password
	}
	if err != nil {
		return nil, fmt.Errorf("invalid REDIS_URL: %w", err)
	}
	opts.DialTimeout = cmp.Or(opts.DialTimeout, dialTimeout)
	opts.ReadTimeout = cmp.Or(opts.ReadTimeout, ioTimeout)
	opts.WriteTimeout = cmp.Or(opts.WriteTimeout, opts.ReadTimeout) // as go-redis does
	opts.PoolTimeout = cmp.Or(opts.PoolTimeout, ioTimeout)
	opts.PoolSize = cmp.Or(opts.PoolSize, poolSize)
	opts.MaxRetries = cmp.Or(opts.MaxRetries, maxRetries)
	// Not configurable through the URL: go-redis dials five times, 100 ms
	// apart, which against a refusing Redis outlasts every deadline.
	opts.DialerRetries, opts.DialerRetryTimeout = 2, 50*time.Millisecond
	// Let each call's deadline bound its socket reads and writes too.
	opts.ContextTimeoutEnabled = true
	return redis.NewClient(opts), nil
}

// pingRedis is the readiness probe. Its error never holds the URL.
func pingRedis(ctx context.Context, client redis.UniversalClient) error {
	if err := client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis: %w", err)
	}
	return nil
}

// SetRedisLogger sends go-redis's messages (no passwords or values) to log
// as warnings. The logger is process-wide: call it once at start-up.
func SetRedisLogger(log zerolog.Logger) { redis.SetLogger(redisLogger{log}) }

type redisLogger struct{ log zerolog.Logger }

func (l redisLogger) Printf(_ context.Context, format string, v ...any) {
	l.log.Warn().Str("component", "redis").Msgf(format, v...)
}
