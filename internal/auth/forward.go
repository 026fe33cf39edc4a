package auth

import (
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
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/singleflight"
)

const (
	maxForwardBody  = 64 << 10 // the app's "who am I" answer
	maxForwardCache = 10_000   // cached answers
)

// ForwardConfig configures forward auth.
type ForwardConfig struct {
	URL      string
	Timeout  time.Duration
	CacheTTL time.Duration // 0: no cache
}

// Forward asks the app's own "who am I" endpoint, passing on only Cookie and Authorization.
type Forward struct {
	cfg     ForwardConfig
	client  *http.Client
	hmac    []byte // random per process; keys the cache and fallback subjects
	group   singleflight.Group
	results *prometheus.CounterVec // vaultgate_forward_auth_total
	mu      sync.Mutex
	cache   map[string]forwardEntry // successful lookups, while CacheTTL > 0
}

type forwardEntry struct {
	id      Identity
	expires time.Time
}

// NewForward returns a forward authenticator and registers its metric on reg.
func NewForward(cfg ForwardConfig, reg prometheus.Registerer) (*Forward, error) {
	results := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "vaultgate_forward_auth_total",
		Help: "Forward-auth lookups at the app's own endpoint, by result (ok, unauthenticated, error, cache_hit).",
	}, []string{"result"})
	if err := reg.Register(results); err != nil {
		return nil, err
	}
	return &Forward{
		cfg:     cfg,
		client:  &http.Client{Timeout: cfg.Timeout, CheckRedirect: noRedirects},
		hmac:    []byte(rand.Text()),
		results: results,
		cache:   map[string]forwardEntry{},
	}, nil
}

// Ambient reports whether the credential is a cookie, which browsers attach.
func (f *Forward) Ambient(r *http.Request) bool { return r.Header.Get("Cookie") != "" }

// Authenticate asks the app: 2xx with a JSON object authenticates, 401/403
// does not, anything else fails closed.
func (f *Forward) Authenticate(r *http.Request) (Identity, error) {
	cookie, authz := r.Header.Values("Cookie"), r.Header.Get("Authorization")
	if len(cookie) == 0 && authz == "" {
		return Identity{}, unauthenticated(ReasonMissing, errors.New("no cookie or authorization header"))
	}
	key := f.credentialKey(cookie, authz)
	f.mu.Lock()
	e, ok := f.cache[key]
	f.mu.Unlock()
	if ok && time.Now().Before(e.expires) {
		f.results.WithLabelValues("cache_hit").Inc()
		return e.id, nil
	}
	// Identical lookups in flight share one call, bounded by the client's timeout.
	ctx := context.WithoutCancel(r.Context())
	v, err, _ := f.group.Do(key, func() (any, error) {
		id, err := f.lookup(ctx, cookie, authz, key)
		if err == nil && f.cfg.CacheTTL > 0 {
			f.remember(key, id)
		}
		return id, err
	})
	if err != nil {
		return Identity{}, err
	}
	return v.(Identity), nil
}

func (f *Forward) lookup(ctx context.Context, cookie []string, authz, key string) (Identity, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.cfg.URL, nil)
	if err != nil {
		return Identity{}, f.fail(err)
	}
	// Only the credentials reach the app; nothing else of the browser's.
	req.Header = http.Header{"Cookie": cookie, "User-Agent": {"vaultgate"}}
	if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	res, err := f.client.Do(req)
	if err != nil {
		return Identity{}, f.fail(errors.New("forward-auth endpoint unreachable or too slow"))
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, maxForwardBody+1))
	switch {
	case res.StatusCode == http.StatusUnauthorized || res.StatusCode == http.StatusForbidden:
		f.results.WithLabelValues("unauthenticated").Inc()
		scheme, _, _ := strings.Cut(authz, " ")
		return Identity{}, &Error{Class: ErrUnauthenticated, Reason: ReasonAppRefused, Token: strings.EqualFold(scheme, "Bearer"),
			Err: fmt.Errorf("forward-auth endpoint answered %d", res.StatusCode)}
	case res.StatusCode < 200 || res.StatusCode > 299:
		return Identity{}, f.fail(fmt.Errorf("forward-auth endpoint answered %d", res.StatusCode))
	case err != nil || len(body) > maxForwardBody:
		return Identity{}, f.fail(errors.New("forward-auth answer unreadable or larger than 64 KiB"))
	}
	claims, err := decodeObject(body)
	if err != nil {
		return Identity{}, f.fail(fmt.Errorf("forward-auth answer: %w", err))
	}
	f.results.WithLabelValues("ok").Inc()
	return Identity{Subject: subject(claims, key), Claims: claims}, nil
}

func (f *Forward) fail(err error) error {
	f.results.WithLabelValues("error").Inc()
	return unavailable(err)
}

// subject is the app's "sub" (or "id", "user_id") when it gives one, else a
// stand-in derived from the credentials so per-user limits still apply.
func subject(claims map[string]any, key string) string {
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

// credentialKey is a keyed hash: the cache never holds a raw cookie or token.
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

// remember caches a lookup; when full, expired entries go, and others while still full.
func (f *Forward) remember(key string, id Identity) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := time.Now()
	if len(f.cache) >= maxForwardCache {
		for k, e := range f.cache {
			if !now.Before(e.expires) || len(f.cache) >= maxForwardCache {
				delete(f.cache, k)
			}
		}
	}
	f.cache[key] = forwardEntry{id: id, expires: now.Add(f.cfg.CacheTTL)}
}
