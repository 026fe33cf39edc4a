package state

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
)

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
