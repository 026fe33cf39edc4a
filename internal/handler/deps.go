package handler

import (
	"context"
	"net/http"

	"github.com/rs/zerolog"

	"github.com/vaultgate/vaultgate/internal/auth"
	"github.com/vaultgate/vaultgate/internal/metrics"
	"github.com/vaultgate/vaultgate/internal/state"
	"github.com/vaultgate/vaultgate/internal/upstream"
)

// Authenticator works out who a request comes from.
type Authenticator interface {
	// Authenticate returns the caller's identity, or an *auth.Error that
	// matches auth.ErrUnauthenticated or auth.ErrUnavailable.
	Authenticate(r *http.Request) (auth.Identity, error)
	// Ambient reports whether the request's credential is one a browser
	// attaches by itself (a cookie, forward mode, header mode), which makes
	// the request forgeable from another site.
	Ambient(r *http.Request) bool
}

// Sessions creates Vault sessions, possibly reusing or sharing one.
type Sessions interface {
	// Create returns a session for consumerID. Its errors are
	// *upstream.Error; the Result describes the upstream exchange either way.
	Create(ctx context.Context, subject, consumerID string, req upstream.SessionRequest) (upstream.Session, upstream.Result, error)
}

// Limiter decides whether one more request for key fits its budget. An
// error means its shared state failed; the handler then lets the request
// through.
type Limiter interface {
	Allow(ctx context.Context, key string) (state.Decision, error)
}

// Deps is everything the public listener needs.
type Deps struct {
	Log       zerolog.Logger
	Metrics   *metrics.Metrics
	Auth      Authenticator
	Sessions  Sessions
	UserLimit Limiter // per verified subject; nil = off
	IPLimit   Limiter // per client IP, before authentication; nil = off
	Connect   ConnectConfig
}
