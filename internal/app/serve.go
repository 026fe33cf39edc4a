package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"go.opentelemetry.io/otel/trace"

	"github.com/vaultgate/vaultgate/internal/config"
	"github.com/vaultgate/vaultgate/internal/handler"
	"github.com/vaultgate/vaultgate/internal/metrics"
	"github.com/vaultgate/vaultgate/internal/redisstate"
	"github.com/vaultgate/vaultgate/internal/sessions"
	"github.com/vaultgate/vaultgate/internal/tracing"
	"github.com/vaultgate/vaultgate/internal/upstream"
	"github.com/vaultgate/vaultgate/internal/version"
)

// Server limits from the contract (operator defaults, not variables).
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 30 * time.Second
	idleTimeout       = 120 * time.Second
	// net/http allows 4 KiB beyond MaxHeaderBytes; this keeps the real
	// limit at 64 KiB, beyond which the server answers 431.
	maxHeaderBytes = 64<<10 - 4096
	// tracingFlushTimeout bounds sending the last spans at shutdown.
	tracingFlushTimeout = 5 * time.Second
)

// Options adjust Serve for tests and demo mode.
type Options struct {
	// Listeners to serve on instead of cfg.HTTPAddr and cfg.AdminAddr.
	Public, Admin net.Listener
	// OnReady is called with the listeners' addresses once both accept.
	OnReady func(public, admin net.Addr)
	// Mount adds routes to the public router (demo pages).
	Mount func(chi.Router)
	// Registry replaces the fresh Prometheus registry.
	Registry *prometheus.Registry
	// TracerProvider, when set, traces with it instead of what the OTEL_*
	// variables say; the caller shuts it down.
	TracerProvider trace.TracerProvider
}

// Serve runs vaultgate until ctx is done, then drains in-flight requests
// within cfg.ShutdownTimeout.
func Serve(ctx context.Context, cfg config.Config, log zerolog.Logger, opt Options) error {
	reg := opt.Registry
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	m := metrics.New(reg)
	m.BuildInfo.WithLabelValues(version.Version, version.Commit, runtime.Version()).Set(1)

	// Background work (key refresh, limiter sweeps) stops with this context,
	// after the listeners have drained.
	bg, stopBackground := context.WithCancel(context.WithoutCancel(ctx))
	defer stopBackground()

	authn, authReady, err := newAuthenticator(bg, cfg, reg, log)
	if err != nil {
		return err
	}
	tracer, err := newTracing(ctx, opt, log)
	if err != nil {
		return err
	}
	// Deferred before everything that serves requests, so it runs after
	// the drain: the spans of the last requests are flushed too.
	defer shutdownTracing(tracer, log)
	cfg.Upstream.WrapTransport = tracer.WrapTransport()
	client, err := upstream.New(cfg.Upstream, m, log)
	if err != nil {
		return err
	}
	defer client.Close()
	shared, err := newSharedState(cfg, log)
	if err != nil {
		return err
	}
	defer shared.close()
	sess := sessions.New(client, m, sessions.Options{
		Store:    shared.store,
		ReuseTTL: cfg.SessionReuseTTL,
		Lifetime: cfg.Connect.SessionLength,
		OnError:  func(err error) { log.Error().Err(err).Msg("session reuse store failed; reuse skipped") },
	})
	deps := handler.Deps{
		Log:       log,
		Metrics:   m,
		Auth:      authn,
		Sessions:  sess,
		UserLimit: shared.limiter(bg, "user", cfg.RateLimitPerMinute),
		IPLimit:   shared.limiter(bg, "ip", cfg.RateLimitPerIPPerMinute),
		Connect:   cfg.Connect,
	}
	public := handler.NewPublic(deps)
	if opt.Mount != nil {
		opt.Mount(public)
	}

	var draining atomic.Bool
	checks := []handler.Check{
		{Name: "draining", Critical: true, Fn: func(context.Context) error {
			if draining.Load() {
				return errors.New("shutting down")
			}
			return nil
		}},
		{Name: "auth", Critical: true, Fn: authReady},
	}
	if shared.redis != nil {
		// Redis is reported but never fails readiness: without it limits
		// fail open and reuse is skipped, and /connect keeps working.
		checks = append(checks, handler.Check{Name: "redis", Critical: false, Fn: redisstate.Check(shared.redis)})
	}
	admin := handler.NewAdmin(reg, checks, cfg.AdminPprof)

	publicSrv := &http.Server{
		Handler:           tracer.Handler(public),
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		// Longer than the upstream deadline (and forward auth), so a slow
		// Apideck yields a 504 rather than a dropped connection.
		WriteTimeout:   cfg.Upstream.Timeout + cfg.Forward.Timeout + 5*time.Second,
		IdleTimeout:    idleTimeout,
		MaxHeaderBytes: maxHeaderBytes,
		ErrorLog:       newStdLogger(log),
	}
	adminSrv := &http.Server{
		Handler:           admin,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      readTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          newStdLogger(log),
	}

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
	go func() { errc <- serveUntilClosed(publicSrv, pl) }()
	go func() { errc <- serveUntilClosed(adminSrv, al) }()
	log.Info().
		Str("http_addr", pl.Addr().String()).
		Str("admin_addr", al.Addr().String()).
		Str("version", version.Version).
		Object("config", cfg.LogSafe()).
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
	draining.Store(true)
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

func serveUntilClosed(srv *http.Server, l net.Listener) error {
	if err := srv.Serve(l); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// newTracing instruments with opt.TracerProvider, or as the OTEL_*
// variables say (off unless an OTLP endpoint is set).
func newTracing(ctx context.Context, opt Options, log zerolog.Logger) (*tracing.Instrumentation, error) {
	if opt.TracerProvider != nil {
		return tracing.New(opt.TracerProvider), nil
	}
	return tracing.FromEnv(ctx, log)
}

// shutdownTracing flushes buffered spans with its own time budget: the
// drain may have used all of SHUTDOWN_TIMEOUT.
func shutdownTracing(t *tracing.Instrumentation, log zerolog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), tracingFlushTimeout)
	defer cancel()
	if err := t.Shutdown(ctx); err != nil {
		log.Warn().Err(err).Msg("tracing: flushing spans at shutdown failed")
	}
}
