package auth

import "time"

// forwardEntry is a remembered answer: an identity, or a refusal.
type forwardEntry struct {
	id      Identity
	err     error
	expires time.Time
}

// forwardCache holds at most maxForwardCache answers; the oldest go first.
type forwardCache struct {
	entries map[string]forwardEntry
	order   []string // the keys, oldest first
}

func (c *forwardCache) get(key string, now time.Time) (forwardEntry, bool) {
	e, ok := c.entries[key]
	return e, ok && now.Before(e.expires)
}

func (c *forwardCache) put(key string, e forwardEntry) {
	if c.entries == nil {
		c.entries = make(map[string]forwardEntry)
	}
	if _, ok := c.entries[key]; !ok {
		for len(c.entries) >= maxForwardCache {
			delete(c.entries, c.order[0])
			c.order = c.order[1:]
		}
		c.order = append(c.order, key)
	}
	c.entries[key] = e
}
