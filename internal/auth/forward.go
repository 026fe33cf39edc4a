package auth

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/sync/singleflight"

	"github.com/vaultgate/vaultgate/internal/metrics"
)

// maxForwardBody bounds the app's "who am I" answer.
const maxForwardBody = 64 << 10

// Forward authenticates against the app's own session: it asks
// ForwardConfig.URL, passing on only the request's Cookie and Authorization.
type Forward struct {
	cfg    ForwardConfig
	client *http.Client
	cache  *forwardCache // nil when CacheTTL is 0
	hmac   []byte        // keys cache entries and fallback subjects; random per process
	group  singleflight.Group
	m      *metrics.Metrics
	log    zerolog.Logger
}

// NewForward returns a forward authenticator.
func NewForward(cfg ForwardConfig, m *metrics.Metrics, log zerolog.Logger) (*Forward, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	f := &Forward{
		cfg: cfg,
		client: &http.Client{
			Timeout: cfg.Timeout,
			// A redirect (to a login page, typically) is not an answer.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		hmac: key,
		m:    m,
		log:  log,
	}
	if cfg.CacheTTL > 0 {
		f.cache = newForwardCache(10_000, cfg.CacheTTL)
	}
	return f, nil
}

// Ambient reports whether the credential is a cookie, which a browser
// attaches by itself.
func (f *Forward) Ambient(r *http.Request) bool { return r.Header.Get("Cookie") != "" }

// Ready always holds: forward auth has nothing to load.
func (f *Forward) Ready() bool { return true }

// Authenticate implements the forward mode of the contract: 2xx with a JSON
// object authenticates, 401/403 does not, anything else fails closed.
func (f *Forward) Authenticate(r *http.Request) (Identity, error) {
	cookie, authz := r.Header.Values("Cookie"), r.Header.Get("Authorization")
	if len(cookie) == 0 && authz == "" {
		return Identity{}, unauthenticated(ReasonMissing, nil)
	}
	key := f.credentialKey(cookie, authz)
	if f.cache != nil {
		if id, ok := f.cache.get(key); ok {
			f.m.ForwardAuth.WithLabelValues("cache_hit").Inc()
			return id, nil
		}
	}
	// Identical lookups in flight share one call; it is bounded by the
	// forward timeout, not by the first caller's request.
	ctx := context.WithoutCancel(r.Context())
	v, err, _ := f.group.Do(key, func() (any, error) {
		id, err := f.lookup(ctx, cookie, authz, key)
		if err == nil && f.cache != nil {
			f.cache.put(key, id)
		}
		return id, err
	})
	if err != nil {
		return Identity{}, err
	}
	return v.(Identity), nil
}

func (f *Forward) lookup(ctx context.Context, cookie []string, authz, key string) (Identity, error) {
	ctx, cancel := context.WithTimeout(ctx, f.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.cfg.URL, nil)
	if err != nil {
		return Identity{}, f.fail(err)
	}
	// Only these two headers reach the app; nothing else of the browser's.
	for _, c := range cookie {
		req.Header.Add("Cookie", c)
	}
	if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	req.Header.Set("User-Agent", "vaultgate")
	res, err := f.client.Do(req)
	if err != nil {
		return Identity{}, f.fail(errors.New("forward-auth endpoint unreachable or too slow"))
	}
	defer res.Body.Close()
	switch {
	case res.StatusCode == http.StatusUnauthorized || res.StatusCode == http.StatusForbidden:
		_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, maxForwardBody))
		f.m.ForwardAuth.WithLabelValues("unauthenticated").Inc()
		return Identity{}, unauthenticated(ReasonInvalid, fmt.Errorf("forward-auth endpoint answered %d", res.StatusCode))
	case res.StatusCode < 200 || res.StatusCode > 299:
		_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, maxForwardBody))
		return Identity{}, f.fail(fmt.Errorf("forward-auth endpoint answered %d", res.StatusCode))
	}
	claims, err := decodeClaimsObject(io.LimitReader(res.Body, maxForwardBody+1), maxForwardBody)
	if err != nil {
		return Identity{}, f.fail(fmt.Errorf("forward-auth answer: %w", err))
	}
	f.m.ForwardAuth.WithLabelValues("ok").Inc()
	return Identity{Subject: f.subject(claims, key), Claims: claims}, nil
}

func (f *Forward) fail(err error) error {
	f.m.ForwardAuth.WithLabelValues("error").Inc()
	return unavailable(err)
}

// subject is the app's "sub" (or "id") when it gives one, else a stand-in
// derived from the credentials so per-user limits still apply.
func (f *Forward) subject(claims map[string]any, key string) string {
	for _, name := range []string{"sub", "id", "user_id"} {
		switch v := claims[name].(type) {
		case string:
			if v != "" {
				return v
			}
		case json.Number:
			return v.String()
		}
	}
	return "credential:" + key[:32]
}

// credentialKey is a keyed hash of the credentials: the cache never holds
// a raw cookie or token.
func (f *Forward) credentialKey(cookie []string, authz string) string {
	h := hmac.New(sha256.New, f.hmac)
	for _, c := range cookie {
		h.Write([]byte(c))
		h.Write([]byte{0})
	}
	h.Write([]byte{1})
	h.Write([]byte(authz))
	return hex.EncodeToString(h.Sum(nil))
}

// decodeClaimsObject decodes a JSON object of at most limit bytes, numbers
// kept exact as json.Number.
func decodeClaimsObject(r io.Reader, limit int64) (map[string]any, error) {
	body, err := io.ReadAll(r)
	if err != nil {
		return nil, errors.New("unreadable body")
	}
	if int64(len(body)) > limit {
		return nil, errors.New("body too large")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var claims map[string]any
	if err := dec.Decode(&claims); err != nil || claims == nil {
		return nil, errors.New("not a JSON object")
	}
	if dec.More() {
		return nil, errors.New("trailing data after the JSON object")
	}
	return claims, nil
}

// forwardCache keeps recent successful lookups, bounded in size.
type forwardCache struct {
	ttl     time.Duration
	max     int
	now     func() time.Time
	mu      sync.Mutex
	entries map[string]forwardEntry
}

type forwardEntry struct {
	id      Identity
	expires time.Time
}

func newForwardCache(max int, ttl time.Duration) *forwardCache {
	return &forwardCache{ttl: ttl, max: max, now: time.Now, entries: map[string]forwardEntry{}}
}

func (c *forwardCache) get(key string) (Identity, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || !c.now().Before(e.expires) {
		delete(c.entries, key)
		return Identity{}, false
	}
	return e.id, true
}

func (c *forwardCache) put(key string, id Identity) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if len(c.entries) >= c.max {
		for k, e := range c.entries {
			if !now.Before(e.expires) || len(c.entries) >= c.max {
				delete(c.entries, k)
			}
		}
	}
	c.entries[key] = forwardEntry{id: id, expires: now.Add(c.ttl)}
}
