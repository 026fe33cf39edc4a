package auth

import (
	"context"
	"crypto/sha256"
	"sync"
	"time"
)

// Bounds of the verified-token cache. A frontend often presents the same
// token again within seconds (a retried fetch, a second tab, a component
// mounted twice), and the signature check and claim parsing are the largest
// part of a /connect request's own CPU and allocations. An entry holds the
// decoded claims, about 1.5 KiB of heap for a typical 500-byte token, so a
// full cache stays near 2 MiB.
const (
	verifiedCacheEntries  = 1024
	verifiedCacheBytes    = 1 << 20 // sum of the remembered tokens' lengths
	verifiedCacheMaxToken = 8 << 10 // longer tokens are verified every time
	verifiedCacheMaxAge   = time.Minute
)

// verifiedCache remembers tokens that verified, keyed by the SHA-256 of the
// whole token: any change to header, claims or signature is another key,
// so a tampered token is always verified afresh. An entry is used only
// before the token's exp (the skew leeway is not extended to the cache),
// at most verifiedCacheMaxAge after it verified, and only while the key
// set that verified it is still the current one, so a key dropped from the
// JWKS stops its tokens at the next refresh. Eviction is first in, first
// out. It is safe for concurrent use.
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

func newVerifiedCache() *verifiedCache {
	return &verifiedCache{entries: make(map[[sha256.Size]byte]verifiedEntry)}
}

// verifyCached is verify through the cache: a token seen and verified
// recently is not parsed or checked again.
func (v *JWT) verifyCached(ctx context.Context, token string) (Identity, error) {
	sum := sha256.Sum256([]byte(token))
	now := time.Now()
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
	until := now.Add(verifiedCacheMaxAge)
	if v.expiry.Before(until) {
		until = v.expiry
	}
	if tokenSz > verifiedCacheMaxToken || !now.Before(until) {
		return
	}
	e := verifiedEntry{id: id, until: until, keys: v.keys, tokenSz: tokenSz}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.entries[sum]; ok {
		// Verified again (expired entry, new key set, or two requests at
		// once): replaced in place, keeping its place in the order.
		c.bytes += tokenSz - old.tokenSz
		c.entries[sum] = e
		return
	}
	for len(c.order) > 0 && (len(c.entries) >= verifiedCacheEntries || c.bytes+tokenSz > verifiedCacheBytes) {
		// Reslicing from the front keeps eviction O(1); append later copies
		// only the live keys when it reallocates.
		oldest := c.order[0]
		c.order = c.order[1:]
		c.bytes -= c.entries[oldest].tokenSz
		delete(c.entries, oldest)
	}
	c.entries[sum] = e
	c.bytes += tokenSz
	c.order = append(c.order, sum)
}
