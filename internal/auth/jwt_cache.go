package auth

import (
	"crypto/sha256"
	"sync"
	"time"
)

// Bounds of the verified-token cache. A frontend often presents a token
// again within seconds (a retry, a second tab), and the signature check and
// claim parsing are the largest part of a /connect request's own CPU. An
// entry holds about 1.5 KiB for a 500-byte token: a full cache is ~2 MiB.
const (
	verifiedCacheEntries  = 1024
	verifiedCacheBytes    = 1 << 20 // sum of the remembered tokens' lengths
	verifiedCacheMaxToken = 8 << 10 // longer tokens are verified every time
	verifiedCacheMaxAge   = time.Minute
)

// verifiedCache remembers tokens that verified, keyed by the SHA-256 of the
// whole token, so a tampered token is always verified afresh. An entry is
// used only before the token's exp (no skew leeway), for at most
// verifiedCacheMaxAge, and while the key set that verified it is current:
// a key dropped from the JWKS stops its tokens at the next refresh.
// Eviction is first in, first out.
type verifiedCache struct {
	mu      sync.Mutex
	entries map[[sha256.Size]byte]verifiedEntry
	order   [][sha256.Size]byte // keys in insertion order, oldest first
	bytes   int                 // sum of the remembered tokens' lengths
}

type verifiedEntry struct {
	verified // its Identity's Claims are shared by every hit: read-only by contract
	until    time.Time
	tokenSz  int
}

// get returns the identity remembered for the token hashing to sum, when
// its entry is still good at now with the current key set.
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
