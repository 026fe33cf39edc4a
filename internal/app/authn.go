package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/rs/zerolog"

	"github.com/vaultgate/vaultgate/internal/auth"
	"github.com/vaultgate/vaultgate/internal/config"
	"github.com/vaultgate/vaultgate/internal/handler"
	"github.com/vaultgate/vaultgate/internal/metrics"
)

// newAuthenticator builds the AUTH_MODE authenticator and its readiness check.
func newAuthenticator(ctx context.Context, cfg config.Config, m *metrics.Metrics, log zerolog.Logger) (handler.Authenticator, func(context.Context) error, error) {
	switch cfg.AuthMode {
	case "jwt":
		// Key fetches get their own client: the identity provider is not Apideck.
		client := &http.Client{
			Timeout: 10 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		}
		jc := cfg.JWT
		jc.HS256Secret = cfg.HS256Secret.Reveal()
		v, err := auth.NewJWT(ctx, jc, client, m, log)
		if err != nil {
			return nil, nil, err
		}
		ready := func(context.Context) error {
			if !v.Ready() {
				return errors.New("signing keys not loaded yet")
			}
			return nil
		}
		return v, ready, nil
	case "forward":
		f, err := auth.NewForward(cfg.Forward, m, log)
		if err != nil {
			return nil, nil, err
		}
		return f, alwaysReady, nil
	case "header":
		return auth.NewHeader(cfg.Header), alwaysReady, nil
	}
	return nil, nil, fmt.Errorf("AUTH_MODE: %q is not supported by this build", cfg.AuthMode)
}

func alwaysReady(context.Context) error { return nil }
