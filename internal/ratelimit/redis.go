package ratelimit

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

// redisCallTimeout bounds one Allow against Redis, so a hung Redis costs a
// /connect request at most this long before the caller fails open.
const redisCallTimeout = 250 * time.Millisecond

// slidingLogScript is Memory's sliding log as one atomic script over a
// sorted set of call timestamps (microseconds). It reads the clock with
// Redis's own TIME so replicas whose clocks disagree share one timeline.
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

// Redis is a limiter whose state lives in Redis, so that every replica
// sharing that Redis shares each key's budget. Safe for concurrent use.
type Redis struct {
	client redis.UniversalClient
	script *redis.Script // sent by SHA, and in full only when Redis lacks it
	prefix string
	limit  int
	window time.Duration
	// id and seq make each ZADD member unique, so two calls in the same
	// microsecond, from this replica or another, are both counted.
	id  string
	seq atomic.Uint64
}

// NewRedis returns a limiter allowing limit calls per key in any window,
// stored under keys starting with prefix. limit <= 0 (or a window <= 0)
// means every call is allowed without asking Redis.
func NewRedis(client redis.UniversalClient, prefix string, limit int, window time.Duration) *Redis {
	var id [8]byte
	_, _ = rand.Read(id[:]) // crypto/rand.Read never fails
	return &Redis{
		client: client,
		script: redis.NewScript(slidingLogScript),
		prefix: prefix,
		limit:  limit,
		window: window,
		id:     hex.EncodeToString(id[:]),
	}
}

func (r *Redis) disabled() bool { return r.limit <= 0 || r.window <= 0 }

// Allow records a call for key if the limit admits it; refused calls are
// not recorded. When Redis fails or is slow, it returns an allowing
// Decision together with the error: the caller fails open and reports it.
func (r *Redis) Allow(ctx context.Context, key string) (Decision, error) {
	if r.disabled() {
		return Decision{Allowed: true, Remaining: -1}, nil
	}
	ctx, cancel := context.WithTimeout(ctx, redisCallTimeout)
	defer cancel()
	member := r.id + "-" + strconv.FormatUint(r.seq.Add(1), 36)
	window := max(r.window.Microseconds(), 1)
	res, err := r.script.Run(ctx, r.client, []string{r.redisKey(key)}, r.limit, window, member).Int64Slice()
	if err != nil {
		return Decision{Allowed: true}, fmt.Errorf("ratelimit: redis: %w", err)
	}
	if len(res) != 3 {
		return Decision{Allowed: true}, fmt.Errorf("ratelimit: redis: script returned %d values, want 3", len(res))
	}
	if res[0] == 1 {
		return Decision{Allowed: true, Remaining: int(res[1])}, nil
	}
	retry := time.Duration(res[2]) * time.Microsecond
	// The oldest call is inside the window, so the wait is in (0, window];
	// clamp anyway so a surprising answer never yields a 0 or huge
	// Retry-After.
	retry = min(max(retry, time.Microsecond), r.window)
	return Decision{RetryAfter: retry}, nil
}

// redisKey hashes key: it may be a user id or a client IP, which have no
// business sitting in Redis in the clear.
func (r *Redis) redisKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return r.prefix + hex.EncodeToString(sum[:])
}
