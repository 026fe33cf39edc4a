package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/rs/zerolog"
	"go.opentelemetry.io/otel/trace"

	"github.com/vaultgate/vaultgate/internal/config"
)

// Server limits (operator defaults, not variables).
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 30 * time.Second
	idleTimeout       = 120 * time.Second
	// net/http allows 4 KiB beyond MaxHeaderBytes; this keeps the real
	// limit at 64 KiB, beyond which the server answers 431.
	maxHeaderBytes = 64<<10 - 4096
)

// Options adjust Serve for tests and demo mode.
type Options struct {
	// Listeners to serve on instead of cfg.HTTPAddr and cfg.AdminAddr.
	Public, Admin net.Listener
	// OnReady is called with the listeners' addresses once both accept.
	OnReady func(public, admin net.Addr)
	// Mount adds routes to the public router (demo pages).
	Mount func(chi.Router)
	// TracerProvider, when set, traces with it instead of what the
	// configuration says; the caller shuts it down.
	TracerProvider trace.TracerProvider
}

// Serve builds vaultgate's handlers from cfg and serves them until ctx is
// done, then drains in-flight requests within cfg.ShutdownTimeout.
func Serve(ctx context.Context, cfg config.Config, log zerolog.Logger, opt Options) error {
	s, err := newServer(ctx, cfg, log, opt)
	if err != nil {
		return err
	}
	defer s.close()

	httpServer := func(h http.Handler, writeTimeout time.Duration) *http.Server {
		return &http.Server{
			Handler:           h,
			ReadHeaderTimeout: readHeaderTimeout,
			ReadTimeout:       readTimeout,
			WriteTimeout:      writeTimeout,
			IdleTimeout:       idleTimeout,
			MaxHeaderBytes:    maxHeaderBytes,
			ErrorLog:          newStdLogger(log),
		}
	}
	// Longer than the upstream deadline (and forward auth), so a slow
	// Apideck yields a 504 rather than a dropped connection.
	publicSrv := httpServer(s.public, cfg.Upstream.Timeout+cfg.Forward.Timeout+5*time.Second)
	adminSrv := httpServer(s.admin, readTimeout)

	// Listen before serving so bind errors surface here and ":0" works.
	pl, al := opt.Public, opt.Admin
	if pl == nil {
		if pl, err = net.Listen("tcp", cfg.HTTPAddr); err != nil {
			return fmt.Errorf("HTTP_ADDR: %w", err)
		}
	}
	if al == nil {
		if al, err = net.Listen("tcp", cfg.AdminAddr); err != nil {
			pl.Close()
			return fmt.Errorf("ADMIN_ADDR: %w", err)
		}
	}

	errc := make(chan error, 2)
	serve := func(srv *http.Server, l net.Listener) {
		if err := srv.Serve(l); !errors.Is(err, http.ErrServerClosed) {
			errc <- err
		}
	}
	go serve(publicSrv, pl)
	go serve(adminSrv, al)
	log.Info().
		Str("http_addr", pl.Addr().String()).
		Str("admin_addr", al.Addr().String()).
		Str("version", Version).
		Interface("config", cfg.LogSafe()).
		Msg("vaultgate listening")
	if opt.OnReady != nil {
		opt.OnReady(pl.Addr(), al.Addr())
	}

	select {
	case <-ctx.Done():
	case err := <-errc:
		// A listener died: stop the other one too.
		_ = publicSrv.Close()
		_ = adminSrv.Close()
		return err
	}

	// Drain: report not ready first, stop accepting, let in-flight requests
	// finish; the admin listener stays up meanwhile so /readyz shows it.
	s.draining.Store(true)
	log.Info().Dur("timeout", cfg.ShutdownTimeout).Msg("shutting down: draining in-flight requests")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	err = publicSrv.Shutdown(shutdownCtx)
	_ = adminSrv.Shutdown(shutdownCtx)
	if err != nil {
		return fmt.Errorf("drain incomplete after %s: %w", cfg.ShutdownTimeout, err)
	}
	log.Info().Msg("shut down cleanly")
	return nil
}
