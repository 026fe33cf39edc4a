package auth

import (
	"context"
	"crypto/sha256"
	"sync"
	"time"
)

// Bounds of the verified-token cache. Signature checks and claim parsing
// are the largest part of a /connect request's own CPU and allocations (a
// third of the CPU with ES256), and a frontend often presents the same
// token again within seconds (a retried fetch, a second tab, a component
// mounted twice). Only repeats gain; a first presentation costs one hash.
// The bounds are set by memory: an entry holds the decoded claims, about
// 1.5 KiB of heap for a typical 500-byte token, so a full cache stays near
// 2 MiB (measured: 4096 entries added 12 MiB of RSS under load).
const (
	// verifiedCacheEntries bounds the number of remembered tokens.
	verifiedCacheEntries = 1024
	// verifiedCacheBytes bounds the sum of their lengths; the decoded
	// claims kept per entry grow with the token.
	verifiedCacheBytes = 1 << 20
	// verifiedCacheMaxToken: longer tokens are verified every time, so a
	// few huge ones cannot take the whole budget.
	verifiedCacheMaxToken = 8 << 10
	// verifiedCacheMaxAge bounds how long a result is reused at all.
	verifiedCacheMaxAge = time.Minute
)

// verifiedCache remembers tokens that verified, keyed by the SHA-256 of the
// whole token: any change to header, claims or signature is another key,
// so a tampered token is always verified afresh. An entry is used only
// before the token's exp (the skew leeway is not extended to the cache),
// at most verifiedCacheMaxAge after it verified, and only while the key
// set that verified it is still the current one, so a key dropped from the
// JWKS stops its tokens at the next refresh, as without the cache. Eviction
// is first in, first out. It is safe for concurrent use.
type verifiedCache struct {
	mu      sync.Mutex
	entries map[[sha256.Size]byte]verifiedEntry
	order   [][sha256.Size]byte // keys in insertion order, oldest first
	bytes   int                 // sum of the remembered tokens' lengths
}

type verifiedEntry struct {
	id      Identity // Claims is shared by every hit: read-only by contract
	until   time.Time
	keys    *keySet
	tokenSz int
}

// verifyCached is Verify through the cache: a token seen and verified
// recently is not parsed or checked again.
func (v *JWT) verifyCached(ctx context.Context, token string) (Identity, error) {
	sum := sha256.Sum256([]byte(token))
	now := v.now()
	if id, ok := v.verified.get(sum, now, v.keys.Load()); ok {
		return id, nil
	}
	id, ver, err := v.verify(ctx, token)
	if err != nil {
		return Identity{}, err
	}
	v.verified.put(sum, len(token), id, ver, now)
	return id, nil
}

func newVerifiedCache() *verifiedCache {
	return &verifiedCache{entries: make(map[[sha256.Size]byte]verifiedEntry)}
}

// get returns the identity remembered for the token hashing to sum, when
// its entry is still good at now with the current key set.
func (c *verifiedCache) get(sum [sha256.Size]byte, now time.Time, current *keySet) (Identity, bool) {
	c.mu.Lock()
	e, ok := c.entries[sum]
	c.mu.Unlock()
	if !ok || !now.Before(e.until) || e.keys != current {
		return Identity{}, false
	}
	return e.id, true
}

// put remembers a token of tokenSz bytes that verified at now.
func (c *verifiedCache) put(sum [sha256.Size]byte, tokenSz int, id Identity, v verified, now time.Time) {
	if tokenSz > verifiedCacheMaxToken {
		return
	}
	until := now.Add(verifiedCacheMaxAge)
	if v.expiry.Before(until) {
		until = v.expiry
	}
	if !now.Before(until) {
		return
	}
	e := verifiedEntry{id: id, until: until, keys: v.keys, tokenSz: tokenSz}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.entries[sum]; ok {
		// Verified again (expired entry, new key set, or two requests at
		// once): replace in place; its place in the ring stays.
		c.bytes += tokenSz - old.tokenSz
		c.entries[sum] = e
		return
	}
	for len(c.order) > 0 && (len(c.entries) >= verifiedCacheEntries || c.bytes+tokenSz > verifiedCacheBytes) {
		c.evictOldest()
	}
	c.entries[sum] = e
	c.bytes += tokenSz
	c.order = append(c.order, sum)
}

// evictOldest drops the oldest entry. Reslicing order from the front keeps
// this O(1); append later copies only the live keys when it reallocates.
func (c *verifiedCache) evictOldest() {
	oldest := c.order[0]
	c.order = c.order[1:]
	if e, ok := c.entries[oldest]; ok {
		c.bytes -= e.tokenSz
		delete(c.entries, oldest)
	}
}

// len is the number of remembered tokens.
func (c *verifiedCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}
