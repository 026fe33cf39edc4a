package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/vaultgate/vaultgate/internal/auth"
	"github.com/vaultgate/vaultgate/internal/config"
	"github.com/vaultgate/vaultgate/internal/handler"
)

// newAuthenticator builds the AUTH_MODE authenticator and its readiness check.
func newAuthenticator(ctx context.Context, cfg config.Config, reg prometheus.Registerer, log zerolog.Logger) (handler.Authenticator, func(context.Context) error, error) {
	switch cfg.AuthMode {
	case config.ModeJWT:
		v, err := auth.NewJWT(ctx, cfg.JWT, reg, log)
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
	case config.ModeForward:
		f, err := auth.NewForward(cfg.Forward, reg)
		if err != nil {
			return nil, nil, err
		}
		return f, alwaysReady, nil
	case config.ModeHeader:
		return auth.NewHeader(cfg.Header), alwaysReady, nil
	}
	return nil, nil, fmt.Errorf("AUTH_MODE: %q is not supported by this build", cfg.AuthMode)
}

func alwaysReady(context.Context) error { return nil }
