// Package sessions hands out Vault sessions: identical requests in flight
// share one upstream call, and recent sessions may be reused within a window.
package sessions

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/vaultgate/vaultgate/internal/metrics"
	"github.com/vaultgate/vaultgate/internal/upstream"
)

// Creator is the upstream call this package wraps.
type Creator interface {
	CreateSession(ctx context.Context, consumerID string, body []byte) (upstream.Session, upstream.Result, error)
}

// Store keeps sessions for reuse. Implementations must expire entries after
// ttl. A Get or Set error means the store is unusable right now: reuse is
// skipped, the request goes on.
type Store interface {
	Get(ctx context.Context, key string) (upstream.Session, bool, error)
	Set(ctx context.Context, key string, s upstream.Session, ttl time.Duration) error
}

// Service creates sessions through Creator, coalescing and reusing them.
type Service struct {
	creator  Creator
	store    Store         // nil disables reuse
	reuseTTL time.Duration // how long a session may be handed out again
	lifetime time.Duration // how long a session works (VAULT_SESSION_LENGTH)
	metrics  *metrics.Metrics
	onError  func(error) // store failures, for logging
	group    singleflight.Group
}

// Options configure a Service.
type Options struct {
	Store    Store         // nil: no reuse
	ReuseTTL time.Duration // SESSION_REUSE_TTL; 0 disables reuse
	Lifetime time.Duration // session length
	OnError  func(error)   // called with store failures; may be nil
}

// New returns a Service over c.
func New(c Creator, m *metrics.Metrics, o Options) *Service {
	s := &Service{creator: c, metrics: m, lifetime: o.Lifetime, onError: o.OnError}
	if o.Store != nil && o.ReuseTTL > 0 {
		s.store = o.Store
		// Reuse only while at least half of the session's lifetime remains.
		s.reuseTTL = min(o.ReuseTTL, o.Lifetime/2)
	}
	if s.onError == nil {
		s.onError = func(error) {}
	}
	return s
}

type outcome struct {
	session upstream.Session
	result  upstream.Result
}

// Create returns a session for consumerID built from req on behalf of
// subject. Requests differing in subject, consumer or options never share.
func (s *Service) Create(ctx context.Context, subject, consumerID string, req upstream.SessionRequest) (upstream.Session, upstream.Result, error) {
	// Marshalled once: the same bytes are the key and the upstream body.
	body, err := json.Marshal(req)
	if err != nil {
		return upstream.Session{}, upstream.Result{}, err
	}
	key := Key(subject, consumerID, body)
	if s.store != nil && s.reuseTTL > 0 {
		sess, ok, err := s.store.Get(ctx, key)
		switch {
		case err != nil:
			s.onError(err)
		case ok:
			s.metrics.SessionReuse.WithLabelValues("hit").Inc()
			return sess, upstream.Result{}, nil
		default:
			s.metrics.SessionReuse.WithLabelValues("miss").Inc()
		}
	}
	ch := s.group.DoChan(key, func() (any, error) {
		// The shared call must not die with the first caller's request: it
		// is bounded by the upstream deadline instead.
		callCtx := context.WithoutCancel(ctx)
		sess, res, err := s.creator.CreateSession(callCtx, consumerID, body)
		if err == nil && s.store != nil && s.reuseTTL > 0 {
			if err := s.store.Set(callCtx, key, sess, s.reuseTTL); err != nil {
				s.onError(err)
			}
		}
		return outcome{sess, res}, err
	})
	select {
	case r := <-ch:
		o, _ := r.Val.(outcome)
		if r.Shared {
			s.metrics.SessionReuse.WithLabelValues("shared").Inc()
		}
		return o.session, o.result, r.Err
	case <-ctx.Done():
		return upstream.Session{}, upstream.Result{}, &upstream.Error{Kind: upstream.KindTimeout, Err: ctx.Err()}
	}
}

// Key identifies "the same user+consumer+options": a hash, so neither the
// subject nor the options are kept in memory or in a shared store as is.
// It hashes each part behind its 4-byte big-endian length; body is the
// request's JSON.
func Key(subject, consumerID string, body []byte) string {
	// One buffer and one hash call: this runs for every /connect.
	buf := make([]byte, 0, 12+len(subject)+len(consumerID)+len(body))
	for _, part := range []string{subject, consumerID} {
		buf = binary.BigEndian.AppendUint32(buf, uint32(len(part)))
		buf = append(buf, part...)
	}
	buf = binary.BigEndian.AppendUint32(buf, uint32(len(body)))
	buf = append(buf, body...)
	sum := sha256.Sum256(buf)
	var key [2 * sha256.Size]byte // on the stack: one allocation, the string
	hex.Encode(key[:], sum[:])
	return string(key[:])
}
