// Package redisstate connects to the Redis that replicas share for rate
// limits and session reuse, and reports its health. Redis is optional and
// never critical: every caller fails open or skips reuse when it is down.
package redisstate

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/redis/go-redis/v9"
)

// Defaults for options REDIS_URL leaves unset. They are small on purpose:
// a Redis that does not answer quickly is treated as down, so it adds at
// most a fraction of a second to /connect instead of stalling it.
const (
	dialTimeout = 500 * time.Millisecond
	ioTimeout   = 250 * time.Millisecond
	poolTimeout = 250 * time.Millisecond
	poolSize    = 64
	maxRetries  = 1
)

// Dialing is not configurable through the URL. go-redis dials up to five
// times, 100 ms apart, before a command fails; against a Redis that
// refuses connections that alone would outlast every caller's deadline.
const (
	dialAttempts = 2
	dialBackoff  = 50 * time.Millisecond
)

// NewClient builds a client from a REDIS_URL (redis://, rediss:// or
// unix://). Options given in the URL's query (dial_timeout, pool_size, …)
// win over the defaults above. It does not connect; use Check for that.
func NewClient(rawURL string) (*redis.Client, error) {
	opts, err := redis.ParseURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("redisstate: invalid REDIS_URL: %w", scrubURLError(err))
	}
	if opts.DialTimeout == 0 {
		opts.DialTimeout = dialTimeout
	}
	if opts.ReadTimeout == 0 {
		opts.ReadTimeout = ioTimeout
	}
	if opts.WriteTimeout == 0 {
		// As in go-redis: the write timeout follows the read timeout.
		opts.WriteTimeout = opts.ReadTimeout
	}
	if opts.PoolTimeout == 0 {
		opts.PoolTimeout = poolTimeout
	}
	if opts.PoolSize == 0 {
		opts.PoolSize = poolSize
	}
	if opts.MaxRetries == 0 {
		// One retry covers a pooled connection the server closed while
		// idle; more would only spend the caller's short deadline.
		opts.MaxRetries = maxRetries
	}
	opts.DialerRetries = dialAttempts
	opts.DialerRetryTimeout = dialBackoff
	// Let each call's context deadline bound its socket reads and writes
	// too, not only the wait for a pooled connection.
	opts.ContextTimeoutEnabled = true
	return redis.NewClient(opts), nil
}

// Check returns a readiness probe for /readyz that PINGs Redis. Its error
// names the failure but never the URL, which may hold a password.
func Check(client redis.UniversalClient) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		if err := client.Ping(ctx).Err(); err != nil {
			return fmt.Errorf("redis: %w", err)
		}
		return nil
	}
}

// scrubURLError drops the URL that net/url puts into its parse errors:
// REDIS_URL may carry a password.
func scrubURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
