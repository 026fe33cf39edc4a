package state

import (
	"container/list"
	"context"
	"crypto/hkdf"
	"crypto/hmac"
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

// maxLimiterKeys bounds the keys one memory limiter remembers: a flood of
// distinct addresses must not grow memory without end. At ~0.5 KiB per
// key (30 calls a minute) that is ~32 MiB when full.
const maxLimiterKeys = 1 << 16

// memoryLimiter keeps the logs in this process. When it remembers maxKeys
// keys, a new key evicts the one asked about least recently: that key
// regains its full budget, but every new key is still counted (a limit
// that let new keys through when full would be no limit under a flood).
type memoryLimiter struct {
	limit   int
	maxKeys int
	window  time.Duration
	start   time.Time // calls are offsets from it: monotonic, 8 bytes each
	mu      sync.Mutex
	logs    map[string]*list.Element // of *keyLog
	recent  *list.List               // the keys' logs, most recently asked first
}

// keyLog is one key's allowed calls, oldest first.
type keyLog struct {
	key   string
	calls []time.Duration
}

func newMemoryLimiter(limit int, window time.Duration) *memoryLimiter {
	return &memoryLimiter{limit: limit, maxKeys: maxLimiterKeys, window: window, start: time.Now(),
		logs: make(map[string]*list.Element), recent: list.New()}
}

func (m *memoryLimiter) Allow(_ context.Context, key string) (Decision, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	// Read the clock under the lock so each log stays in time order.
	now := time.Since(m.start)
	e, ok := m.logs[key]
	switch {
	case ok:
		m.recent.MoveToFront(e)
	case len(m.logs) >= m.maxKeys:
		// Reuse the least recently asked key's entry for the new one.
		e = m.recent.Back()
		old := e.Value.(*keyLog)
		delete(m.logs, old.key)
		old.key, old.calls = key, old.calls[:0]
		m.recent.MoveToFront(e)
		m.logs[key] = e
	default:
		e = m.recent.PushFront(&keyLog{key: key})
		m.logs[key] = e
	}
	kl := e.Value.(*keyLog)
	log := kl.calls
	for len(log) > 0 && now-log[0] >= m.window { // a call counts while now-t < window
		log = log[1:]
	}
	if len(log) >= m.limit {
		kl.calls = log
		return Decision{RetryAfter: log[0] + m.window - now}, nil
	}
	// append copies only the live entries when it grows: O(limit) per key.
	kl.calls = append(log, now)
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
	maps.DeleteFunc(m.logs, func(_ string, e *list.Element) bool {
		log := e.Value.(*keyLog).calls
		if len(log) == 0 || now-log[len(log)-1] >= m.window {
			m.recent.Remove(e)
			return true
		}
		return false
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
	keyMAC []byte // HMAC key for the Redis key names
}

// newRedisLimiter keys its Redis key names with an HMAC under a key derived
// from apiKey: replicas sharing the API key share the budgets, and a Redis
// dump does not reveal the user ids or client addresses (an IPv4 address's
// plain hash is undone by trying all 2^32).
func newRedisLimiter(client redis.UniversalClient, prefix, apiKey string, limit int, window time.Duration) (*redisLimiter, error) {
	keyMAC, err := hkdf.Key(sha256.New, []byte(apiKey), nil, "vaultgate rate limit v1 key names", 32)
	if err != nil {
		return nil, fmt.Errorf("state: rate limit key: %w", err)
	}
	return &redisLimiter{client: client, script: redis.NewScript(slidingLogScript),
		prefix: prefix, limit: limit, window: window, id: rand.Text(), keyMAC: keyMAC}, nil
}

func (r *redisLimiter) Allow(ctx context.Context, key string) (Decision, error) {
	ctx, cancel := context.WithTimeout(ctx, redisCallTimeout)
	defer cancel()
	// Keys are user ids or client IPs: not for Redis to hold in the clear.
	mac := hmac.New(sha256.New, r.keyMAC)
	mac.Write([]byte(key))
	member := r.id + "-" + strconv.FormatUint(r.seq.Add(1), 36)
	res, err := r.script.Run(ctx, r.client, []string{r.prefix + hex.EncodeToString(mac.Sum(nil))},
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
