package auth

import (
	"crypto/sha256"
	"sync"
	"time"
)

// Bounds of the verified-token cache. A frontend often presents a token
// again within seconds, and verifying it is most of a /connect request's
// own CPU. An entry holds ~1.5 KiB for a 500-byte token: ~2 MiB when full.
const (
	verifiedCacheEntries  = 1024
	verifiedCacheBytes    = 1 << 20 // sum of the remembered tokens' lengths
	verifiedCacheMaxToken = 8 << 10 // longer tokens are verified every time
	verifiedCacheMaxAge   = time.Minute
)

// verifiedCache remembers verified tokens by the SHA-256 of the whole token,
// so a tampered one is verified afresh. An entry serves before the token's
// exp (no leeway), for at most verifiedCacheMaxAge, and while its key set is
// current: a key dropped from the JWKS stops its tokens. FIFO eviction.
type verifiedCache struct {
	mu      sync.Mutex
	entries map[[sha256.Size]byte]verifiedEntry
	order   [][sha256.Size]byte // oldest first
	bytes   int                 // sum of the remembered tokens' lengths
}

type verifiedEntry struct {
	verified // its Identity's Claims are shared by every hit: read-only by contract
	until    time.Time
	tokenSz  int
}

// get returns the identity for the token hashing to sum, if still good.
func (c *verifiedCache) get(sum [sha256.Size]byte, now time.Time, current *keySet) (Identity, bool) {
	c.mu.Lock()
	e, ok := c.entries[sum]
	c.mu.Unlock()
	return e.id, ok && now.Before(e.until) && e.keys == current
}

// put remembers a token of tokenSz bytes that verified at now.
func (c *verifiedCache) put(sum [sha256.Size]byte, tokenSz int, v verified, now time.Time) {
	until := now.Add(verifiedCacheMaxAge)
	if v.expiry.Before(until) {
		until = v.expiry
	}
	if tokenSz > verifiedCacheMaxToken || !now.Before(until) {
		return
	}
	e := verifiedEntry{verified: v, until: until, tokenSz: tokenSz}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = make(map[[sha256.Size]byte]verifiedEntry)
	}
	if old, ok := c.entries[sum]; ok {
		// Verified again (expired, new key set, or concurrent): replaced in place.
		c.bytes += tokenSz - old.tokenSz
		c.entries[sum] = e
		return
	}
	for len(c.order) > 0 && (len(c.entries) >= verifiedCacheEntries || c.bytes+tokenSz > verifiedCacheBytes) {
		oldest := c.order[0]
		c.order = c.order[1:]
		c.bytes -= c.entries[oldest].tokenSz
		delete(c.entries, oldest)
	}
	c.entries[sum] = e
	c.bytes += tokenSz
	c.order = append(c.order, sum)
}
