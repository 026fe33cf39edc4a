package state

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// slidingLogScript is the memory limiter's sliding log as one atomic script
// over a sorted set of call timestamps (µs). It reads Redis's own TIME so
// replicas whose clocks disagree share one timeline.
//
// KEYS[1] log; ARGV[1] limit; ARGV[2] window in µs; ARGV[3] unique member.
// Returns {allowed (0/1), remaining, retry-after in µs}.
const slidingLogScript = `
if redis.replicate_commands then redis.replicate_commands() end
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
-- A call at ts counts while now - ts < window.
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local n = redis.call('ZCARD', KEYS[1])
if n < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000))
  return {1, limit - n - 1, 0}
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {0, 0, tonumber(oldest[2]) + window - now}
`

// redisLimiter keeps the logs in Redis, so that replicas sharing it share
// each key's budget.
type redisLimiter struct {
	client redis.UniversalClient
	script *redis.Script // sent by SHA, and in full only when Redis lacks it
	prefix string
	limit  int
	window time.Duration
	// id and seq make each member unique, so two calls in the same
	// microsecond, from this replica or another, are both counted.
	id  string
	seq atomic.Uint64
}

func newRedisLimiter(client redis.UniversalClient, prefix string, limit int, window time.Duration) *redisLimiter {
	return &redisLimiter{client: client, script: redis.NewScript(slidingLogScript),
		prefix: prefix, limit: limit, window: window, id: rand.Text()}
}

func (r *redisLimiter) Allow(ctx context.Context, key string) (Decision, error) {
	ctx, cancel := context.WithTimeout(ctx, redisCallTimeout)
	defer cancel()
	// Keys are user ids or client IPs: not for Redis to hold in the clear.
	sum := sha256.Sum256([]byte(key))
	member := r.id + "-" + strconv.FormatUint(r.seq.Add(1), 36)
	res, err := r.script.Run(ctx, r.client, []string{r.prefix + hex.EncodeToString(sum[:])},
		r.limit, max(r.window.Microseconds(), 1), member).Int64Slice()
	if err == nil && len(res) != 3 {
		err = fmt.Errorf("script returned %d values, want 3", len(res))
	}
	if err != nil {
		return Decision{Allowed: true}, fmt.Errorf("ratelimit: redis: %w", err)
	}
	if res[0] == 1 {
		return Decision{Allowed: true, Remaining: int(res[1])}, nil
	}
	// The oldest call is inside the window, so the wait is in (0, window];
	// clamp anyway so a surprising answer never yields a 0 or huge
	// Retry-After.
	return Decision{RetryAfter: min(max(time.Duration(res[2])*time.Microsecond, time.Microsecond), r.window)}, nil
}
