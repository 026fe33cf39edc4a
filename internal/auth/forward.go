package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

const (
	maxForwardBody  = 64 << 10 // the app's "who am I" answer
	maxForwardCache = 10_000   // cached answers
	// forwardSlotWait is how long a request waits for a lookup slot
	// before it is answered 503 auth_unavailable.
	forwardSlotWait = time.Second
	// refusalTTL is how long a 401/403 is remembered, whatever
	// AUTH_FORWARD_CACHE_TTL says: a repeated bad cookie costs one lookup
	// per period, while a user who signs in keeping the same cookie (most
	// frameworks issue a new one) waits at most that long.
	refusalTTL = 3 * time.Second
)

// ForwardConfig configures forward auth.
type ForwardConfig struct {
	URL            string
	Timeout        time.Duration
	CacheTTL       time.Duration // 0: successful answers are not cached
	MaxConcurrency int           // lookups in flight, and connections to the app
}

// Forward asks the app's own "who am I" endpoint, passing on only Cookie
// and Authorization. Lookups are bounded: a flood of made-up cookies waits
// for MaxConcurrency slots, each lookup is shared by the requests with the
// same credentials and abandoned when all of them have gone.
type Forward struct {
	cfg       ForwardConfig
	client    *http.Client
	transport *http.Transport
	hmac      []byte                 // random per process; keys the cache and the calls
	slots     chan struct{}          // one per lookup in flight
	results   *prometheus.CounterVec // vaultgate_forward_auth_total
	mu        sync.Mutex
	calls     map[string]*forwardCall // lookups in flight, by credential key
	cache     forwardCache            // guarded by mu
}

// forwardCall is one lookup and the requests waiting on it.
type forwardCall struct {
	done    chan struct{} // closed when id and err are set
	id      Identity
	err     error
	waiters int // guarded by Forward.mu
	cancel  context.CancelFunc
}

// NewForward returns a forward authenticator and registers its metric on reg.
func NewForward(cfg ForwardConfig, reg prometheus.Registerer) (*Forward, error) {
	results := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "vaultgate_forward_auth_total",
		Help: "Forward-auth lookups at the app's own endpoint, by result (ok, unauthenticated, error, busy, abandoned, cache_hit).",
	}, []string{"result"})
	if err := reg.Register(results); err != nil {
		return nil, err
	}
	n := max(cfg.MaxConcurrency, 1)
	// Its own pool, capped: lookups never queue behind or crowd out other
	// clients' connections, and sockets to the app stay within the bound.
	t := &http.Transport{
		Proxy:                  http.ProxyFromEnvironment,
		DialContext:            (&net.Dialer{Timeout: cfg.Timeout, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:        &tls.Config{MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:    cfg.Timeout,
		MaxConnsPerHost:        n,
		MaxIdleConns:           n,
		MaxIdleConnsPerHost:    n,
		IdleConnTimeout:        90 * time.Second,
		MaxResponseHeaderBytes: 64 << 10,
	}
	return &Forward{
		cfg:       cfg,
		client:    &http.Client{Transport: t, Timeout: cfg.Timeout, CheckRedirect: noRedirects},
		transport: t,
		hmac:      []byte(rand.Text()),
		slots:     make(chan struct{}, n),
		results:   results,
		calls:     map[string]*forwardCall{},
	}, nil
}

// Close closes the idle connections to the app.
func (f *Forward) Close() { f.transport.CloseIdleConnections() }

// Ambient reports whether a cookie, which browsers attach, is among the
// credentials: on any Cookie line, as all of them are passed on.
func (f *Forward) Ambient(r *http.Request) bool {
	return slices.ContainsFunc(r.Header.Values("Cookie"), func(v string) bool { return strings.TrimSpace(v) != "" })
}

// Authenticate asks the app: 2xx with a JSON object authenticates, 401/403
// does not, anything else fails closed. Identity.Subject is empty when the
// app names no user ("sub", "id" or "user_id").
func (f *Forward) Authenticate(r *http.Request) (Identity, error) {
	cookie, authz := r.Header.Values("Cookie"), r.Header.Get("Authorization")
	if !f.Ambient(r) && authz == "" {
		return Identity{}, unauthenticated(ReasonMissing, errors.New("no cookie or authorization header"))
	}
	ctx, key := r.Context(), f.credentialKey(cookie, authz)
	f.mu.Lock()
	if e, ok := f.cache.get(key, time.Now()); ok {
		f.mu.Unlock()
		f.results.WithLabelValues("cache_hit").Inc()
		return e.id, e.err
	}
	c := f.calls[key]
	if c == nil {
		// The slot is taken before the lookup's goroutine exists, so a
		// flood waits in its own requests, which end when their clients go.
		f.mu.Unlock()
		if err := f.acquire(ctx); err != nil {
			return Identity{}, err
		}
		f.mu.Lock()
		if c = f.calls[key]; c != nil {
			<-f.slots // started meanwhile by a request with the same credentials
		} else {
			// Detached from this request, which others may join, but
			// cancelled once nobody waits (leave).
			callCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
			c = &forwardCall{done: make(chan struct{}), cancel: cancel}
			f.calls[key] = c
			go f.run(callCtx, c, key, cookie, authz)
		}
	}
	c.waiters++
	f.mu.Unlock()
	select {
	case <-c.done:
		return c.id, c.err
	case <-ctx.Done():
		f.leave(key, c)
		return Identity{}, unavailable(fmt.Errorf("request ended while the forward-auth lookup ran: %w", ctx.Err()))
	}
}

// acquire takes a lookup slot, waiting at most forwardSlotWait.
func (f *Forward) acquire(ctx context.Context) error {
	select {
	case f.slots <- struct{}{}:
		return nil
	default:
	}
	t := time.NewTimer(forwardSlotWait)
	defer t.Stop()
	select {
	case f.slots <- struct{}{}:
		return nil
	case <-t.C:
		f.results.WithLabelValues("busy").Inc()
		return unavailable(errors.New("too many forward-auth lookups in flight"))
	case <-ctx.Done():
		return unavailable(fmt.Errorf("request ended while waiting for a forward-auth slot: %w", ctx.Err()))
	}
}

// leave drops one waiter; the last one abandons the lookup, and the next
// request with these credentials starts afresh.
func (f *Forward) leave(key string, c *forwardCall) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c.waiters--; c.waiters == 0 {
		c.cancel()
		if f.calls[key] == c {
			delete(f.calls, key)
		}
	}
}

// run performs the lookup holding a slot, then hands the result to the
// waiters and the cache.
func (f *Forward) run(ctx context.Context, c *forwardCall, key string, cookie []string, authz string) {
	defer func() { <-f.slots }()
	defer c.cancel()
	id, err := f.lookup(ctx, cookie, authz)
	now := time.Now()
	f.mu.Lock()
	if f.calls[key] == c {
		delete(f.calls, key)
	}
	switch {
	case err == nil && f.cfg.CacheTTL > 0:
		f.cache.put(key, forwardEntry{id: id, expires: now.Add(f.cfg.CacheTTL)})
	case errors.Is(err, ErrUnauthenticated):
		f.cache.put(key, forwardEntry{err: err, expires: now.Add(refusalTTL)})
	}
	c.id, c.err = id, err
	f.mu.Unlock()
	close(c.done)
}

func (f *Forward) lookup(ctx context.Context, cookie []string, authz string) (_ Identity, err error) {
	defer func() {
		// It runs on its own goroutine: a panic there would end the process.
		if p := recover(); p != nil {
			err = f.fail(fmt.Errorf("forward-auth lookup panicked: %v", p))
		}
	}()
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
	switch {
	case err != nil && ctx.Err() != nil:
		f.results.WithLabelValues("abandoned").Inc()
		return Identity{}, unavailable(errors.New("forward-auth lookup abandoned: every request waiting on it ended"))
	case err != nil:
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
	return Identity{Subject: subject(claims), Claims: claims}, nil
}

func (f *Forward) fail(err error) error {
	f.results.WithLabelValues("error").Inc()
	return unavailable(err)
}

// subject is the app's "sub" (or "id", "user_id"), or empty. Nothing is
// derived from the credentials: a junk cookie added to them would make a
// new subject with a fresh per-user budget.
func subject(claims map[string]any) string {
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
	return ""
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
