// Package state holds what replicas share: rate limits and session
// coalescing and reuse, in this process or, with REDIS_URL, in Redis. Redis
// is never critical: when it fails, limits fail open and reuse is skipped.
package state

import (
	"context"
	"errors"
	"fmt"
	"net/url"
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

// Defaults for what REDIS_URL leaves unset. They are small on purpose: a
// Redis that does not answer quickly is treated as down, so it adds at most
// a fraction of a second to /connect instead of stalling it.
const (
	dialTimeout = 500 * time.Millisecond
	ioTimeout   = 250 * time.Millisecond
	poolTimeout = 250 * time.Millisecond
	poolSize    = 64
	// One retry covers a pooled connection the server closed while idle;
	// more would only spend the caller's short deadline.
	maxRetries = 1
	// Not configurable through the URL: go-redis dials five times, 100 ms
	// apart, which against a refusing Redis outlasts every deadline.
	dialAttempts = 2
	dialBackoff  = 50 * time.Millisecond
	// redisCallTimeout bounds one limiter or store call, so a hung Redis
	// delays /connect at most this long before the caller fails open.
	redisCallTimeout = 250 * time.Millisecond
)

// newRedisClient builds a client from a REDIS_URL (redis://, rediss:// or
// unix://); options in the URL's query (dial_timeout, pool_size, …) win over
// the defaults. It does not connect.
func newRedisClient(rawURL string) (*redis.Client, error) {
	opts, err := redis.ParseURL(rawURL)
	if ue := (*url.Error)(nil); errors.As(err, &ue) {
		err = ue.Err // net/url's error quotes the URL, which may hold a password
	}
	if err != nil {
		return nil, fmt.Errorf("invalid REDIS_URL: %w", err)
	}
	orDefault(&opts.DialTimeout, dialTimeout)
	orDefault(&opts.ReadTimeout, ioTimeout)
	orDefault(&opts.WriteTimeout, opts.ReadTimeout) // as go-redis does
	orDefault(&opts.PoolTimeout, poolTimeout)
	orDefault(&opts.PoolSize, poolSize)
	orDefault(&opts.MaxRetries, maxRetries)
	opts.DialerRetries, opts.DialerRetryTimeout = dialAttempts, dialBackoff
	// Let each call's deadline bound its socket reads and writes too, not
	// only the wait for a pooled connection.
	opts.ContextTimeoutEnabled = true
	return redis.NewClient(opts), nil
}

func orDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// pingRedis is the readiness probe. Its error never holds the URL.
func pingRedis(ctx context.Context, client redis.UniversalClient) error {
	if err := client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis: %w", err)
	}
	return nil
}

// SetRedisLogger routes go-redis's own messages (failed dials, pool
// trouble) into log instead of plain text on stderr. go-redis keeps its
// logger process-wide: call it once at start-up.
func SetRedisLogger(log zerolog.Logger) {
	redis.SetLogger(newRedisLogger(log))
}

// redisLogger writes go-redis's messages, which name addresses and
// failures but never passwords or values, as warnings.
type redisLogger struct{ log zerolog.Logger }

func newRedisLogger(log zerolog.Logger) redisLogger {
	return redisLogger{log.With().Str("component", "redis").Logger()}
}

func (l redisLogger) Printf(_ context.Context, format string, v ...any) {
	l.log.Warn().Msg(fmt.Sprintf(format, v...))
}
