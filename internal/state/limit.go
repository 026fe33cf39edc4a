package state

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Decision is the outcome of one Allow call.
type Decision struct {
	Allowed    bool
	RetryAfter time.Duration // when refused: until the oldest counted call leaves the window
	Remaining  int           // when allowed: calls the window still admits
}

// Limiter admits at most N calls per key in any window: an exact sliding log
// of the allowed calls, which never lets N+1 through. Refused calls are not
// recorded, so hammering a closed window does not extend it. Allow fails
// only with Redis, and then allows the call (fail open).
type Limiter interface {
	Allow(ctx context.Context, key string) (Decision, error)
}

// memoryLimiter keeps the logs in this process.
type memoryLimiter struct {
	limit  int
	window time.Duration
	start  time.Time // calls are offsets from it: monotonic, 8 bytes each
	mu     sync.Mutex
	logs   map[string][]time.Duration // allowed calls, oldest first
}

func newMemoryLimiter(limit int, window time.Duration) *memoryLimiter {
	return &memoryLimiter{limit: limit, window: window, start: time.Now(), logs: make(map[string][]time.Duration)}
}

func (m *memoryLimiter) Allow(_ context.Context, key string) (Decision, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	// Read the clock under the lock so each log stays in time order.
	now := time.Since(m.start)
	log := m.logs[key]
	for len(log) > 0 && now-log[0] >= m.window { // a call counts while now-t < window
		log = log[1:]
	}
	if len(log) >= m.limit {
		m.logs[key] = log
		return Decision{RetryAfter: log[0] + m.window - now}, nil
	}
	// append copies only the live entries when it grows: O(limit) per key.
	m.logs[key] = append(log, now)
	return Decision{Allowed: true, Remaining: m.limit - len(log) - 1}, nil
}

// run sweeps every window until ctx is done: floods of keys stay bounded.
func (m *memoryLimiter) run(ctx context.Context) {
	tick := time.Tick(m.window)
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick:
			m.sweep()
		}
	}
}

// sweep forgets keys whose newest call has left the window: their full limit is back anyway.
func (m *memoryLimiter) sweep() {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Since(m.start)
	maps.DeleteFunc(m.logs, func(_ string, log []time.Duration) bool {
		return len(log) == 0 || now-log[len(log)-1] >= m.window
	})
}

// slidingLogScript is the same log as a sorted set of timestamps (µs), on
// Redis's own clock so replicas share one timeline. KEYS[1] log; ARGV limit,
// window (µs), unique member. Returns {allowed 0/1, remaining, retry µs}.
const slidingLogScript = `
if redis.replicate_commands then redis.replicate_commands() end
local limit, window = tonumber(ARGV[1]), tonumber(ARGV[2])
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

// redisLimiter keeps the logs in Redis, so that replicas share a budget.
type redisLimiter struct {
	client redis.UniversalClient
	script *redis.Script // sent by SHA, and in full only when Redis lacks it
	prefix string
	limit  int
	window time.Duration
	id     string // with seq, makes members unique: calls in the same µs all count
	seq    atomic.Uint64
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
		return Decision{Allowed: true}, fmt.Errorf("state: rate limit in redis: %w", err)
	}
	if res[0] == 1 {
		return Decision{Allowed: true, Remaining: int(res[1])}, nil
	}
	// Clamped: a surprising answer must not yield a 0 or huge Retry-After.
	return Decision{RetryAfter: min(max(time.Duration(res[2])*time.Microsecond, time.Microsecond), r.window)}, nil
}
