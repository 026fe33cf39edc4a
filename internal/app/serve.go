package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/rs/zerolog"
	"go.opentelemetry.io/otel/trace"
	"golang.org/x/net/netutil"

	"github.com/vaultgate/vaultgate/internal/auth"
	"github.com/vaultgate/vaultgate/internal/config"
	"github.com/vaultgate/vaultgate/internal/events"
	"github.com/vaultgate/vaultgate/internal/handler"
	"github.com/vaultgate/vaultgate/internal/state"
	"github.com/vaultgate/vaultgate/internal/tracing"
	"github.com/vaultgate/vaultgate/internal/upstream"
)

// Server limits (operator defaults, not variables).
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 30 * time.Second
	idleTimeout       = 120 * time.Second
	// net/http allows 4 KiB beyond MaxHeaderBytes: the real limit is 64 KiB, then 431.
	maxHeaderBytes      = 64<<10 - 4096
	tracingFlushTimeout = 5 * time.Second // for the last spans, at shutdown
	// newConnGrace is how long a connection that has sent no request yet
	// may still send one once draining starts. net/http would wait up to
	// 5 s for it: a browser's spare pre-connect or a TCP probe then held an
	// idle process, and its admin port, that long.
	newConnGrace = 100 * time.Millisecond
)

// Options adjust Serve for tests and demo mode.
type Options struct {
	Public, Admin  net.Listener                 // instead of listening on cfg.HTTPAddr and cfg.AdminAddr
	OnReady        func(public, admin net.Addr) // called once both listeners accept
	Mount          func(chi.Router)             // adds routes to the public router (demo pages)
	TracerProvider trace.TracerProvider         // traces instead of cfg.Tracing; the caller shuts it down

	// WrapPublic, when set, wraps the whole public handler (demo mode's front door).
	WrapPublic func(http.Handler) http.Handler
}

// Serve builds vaultgate's handlers from cfg and serves them until ctx is
// done, then drains in-flight requests within cfg.ShutdownTimeout.
func Serve(ctx context.Context, cfg config.Config, log zerolog.Logger, opt Options) error {
	s, err := newServer(ctx, cfg, log, opt)
	if err != nil {
		return err
	}
	defer s.close()
	httpServer := func(h http.Handler, writeTimeout time.Duration, unused *unusedConns) *http.Server {
		return &http.Server{Handler: h, ReadHeaderTimeout: readHeaderTimeout, ReadTimeout: readTimeout,
			WriteTimeout: writeTimeout, IdleTimeout: idleTimeout, MaxHeaderBytes: maxHeaderBytes, ErrorLog: newStdLogger(log),
			ConnState: unused.track}
	}
	publicUnused, adminUnused := &unusedConns{}, &unusedConns{}
	// Longer than the upstream deadline (and forward auth), so a slow
	// Apideck yields a 504 rather than a dropped connection.
	publicSrv := httpServer(s.public, cfg.Upstream.Timeout+cfg.Forward.Timeout+5*time.Second, publicUnused)
	for _, f := range s.onShutdown {
		publicSrv.RegisterOnShutdown(f)
	}
	adminSrv := httpServer(s.admin, readTimeout, adminUnused)
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
	// Each open connection holds buffers and a goroutine: beyond the cap,
	// clients wait in the kernel's backlog instead of growing memory.
	if cfg.HTTPMaxConnections > 0 {
		pl = netutil.LimitListener(pl, cfg.HTTPMaxConnections)
	}
	errc := make(chan error, 2)
	serve := func(srv *http.Server, l net.Listener) {
		if err := srv.Serve(l); !errors.Is(err, http.ErrServerClosed) {
			errc <- err
		}
	}
	go serve(publicSrv, pl)
	go serve(adminSrv, al)
	logListening(log, cfg, pl.Addr(), al.Addr())
	for _, name := range cfg.Cleartext {
		log.Warn().Str("variable", name).Msg("plain http:// to a host beyond loopback: credentials and answers travel unencrypted")
	}
	if opt.OnReady != nil {
		opt.OnReady(pl.Addr(), al.Addr())
	}
	select {
	case <-ctx.Done():
	case err := <-errc:
		// A listener died: stop the other one too.
		_, _ = publicSrv.Close(), adminSrv.Close()
		return err
	}
	// Drain: report not ready first, stop accepting, let in-flight requests
	// finish; the admin listener stays up meanwhile so /readyz shows it.
	s.draining.Store(true)
	log.Info().Dur("timeout", cfg.ShutdownTimeout).Msg("shutting down: draining in-flight requests")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	err = drain(shutdownCtx, publicSrv, publicUnused)
	_ = drain(shutdownCtx, adminSrv, adminUnused)
	if err != nil {
		return fmt.Errorf("drain incomplete after %s: %w", cfg.ShutdownTimeout, err)
	}
	log.Info().Msg("shut down cleanly")
	return nil
}

// drain stops srv accepting and waits for the requests in flight, closing
// connections that have not sent one within newConnGrace: like idle
// keep-alive connections, which Shutdown closes at once, they hold no
// request, and a client retries on a fresh connection.
func drain(ctx context.Context, srv *http.Server, unused *unusedConns) error {
	t := time.AfterFunc(newConnGrace, unused.closeAll)
	defer t.Stop()
	return srv.Shutdown(ctx)
}

// unusedConns are a server's connections that have not delivered a request.
type unusedConns struct {
	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

// track is the server's ConnState hook.
func (u *unusedConns) track(c net.Conn, state http.ConnState) {
	if state == http.StateIdle {
		return // an idle connection has served a request: it left StateNew before
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if state != http.StateNew {
		delete(u.conns, c)
		return
	}
	if u.conns == nil {
		u.conns = map[net.Conn]struct{}{}
	}
	u.conns[c] = struct{}{}
}

func (u *unusedConns) closeAll() {
	u.mu.Lock()
	defer u.mu.Unlock()
	for c := range u.conns {
		_ = c.Close()
	}
}

// server is the public and admin handlers built from a configuration.
type server struct {
	public, admin http.Handler
	draining      atomic.Bool // set when shutdown starts; /readyz reports it
	closers       []func()    // run in reverse order by close
	onShutdown    []func()    // run when draining starts
}

// newServer builds the handlers. Background work (key refresh, limiter
// sweeps) outlives ctx's cancellation and stops in close, after the drain.
func newServer(ctx context.Context, cfg config.Config, log zerolog.Logger, opt Options) (_ *server, err error) {
	s := &server{}
	defer func() {
		if err != nil {
			s.close()
		}
	}()
	reg := prometheus.NewRegistry()
	buildInfo := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "vaultgate_build_info",
		Help: "Always 1; labels carry the build's version, commit and Go version."}, []string{"version", "commit", "goversion"})
	buildInfo.WithLabelValues(Version, Commit, runtime.Version()).Set(1)
	reg.MustRegister(buildInfo, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	bg, stopBackground := context.WithCancel(context.WithoutCancel(ctx))
	s.closers = append(s.closers, stopBackground)
	authn, authReady, err := newAuthenticator(bg, cfg, reg, log)
	if err != nil {
		return nil, err
	}
	tracer := tracing.New(opt.TracerProvider)
	if opt.TracerProvider == nil {
		cfg.Tracing.ServiceVersion = Version
		if tracer, err = tracing.Start(ctx, cfg.Tracing, log); err != nil {
			return nil, err
		}
	}
	// Closed last, so the last requests' spans are flushed too, with a budget
	// of its own: the drain may have used all of SHUTDOWN_TIMEOUT.
	s.closers = append(s.closers, func() {
		ctx, cancel := context.WithTimeout(context.Background(), tracingFlushTimeout)
		defer cancel()
		if err := tracer.Shutdown(ctx); err != nil {
			log.Warn().Err(err).Msg("tracing: flushing spans at shutdown failed")
		}
	})
	cfg.Upstream.APIKey, cfg.Upstream.WrapTransport = cfg.APIKey.Reveal(), tracer.WrapTransport()
	client, err := upstream.New(cfg.Upstream, reg, log)
	if err != nil {
		return nil, err
	}
	s.closers = append(s.closers, client.Close)
	shared, err := state.New(bg, state.Options{RedisURL: cfg.RedisURL.Reveal(), APIKey: cfg.APIKey.Reveal(), Upstream: client,
		ReuseTTL: cfg.SessionReuseTTL, SessionLifetime: cfg.Connect.SessionLength,
		UserPerMinute: cfg.RateLimitPerMinute, IPPerMinute: cfg.RateLimitPerIPPerMinute}, reg, log)
	if err != nil {
		return nil, err
	}
	s.closers = append(s.closers, func() { _ = shared.Close() })
	deps := handler.Deps{Log: log, Registerer: reg, Auth: authn, Sessions: shared.Sessions, Conns: client,
		UserLimit: shared.UserLimit, IPLimit: shared.IPLimit, Connect: cfg.Connect, Pages: opt.Mount}
	if e := cfg.Events; e.WebhookPath != "" {
		ev, err := events.New(events.Options{APIKey: cfg.APIKey.Reveal(), UnifiedAPIs: cfg.Connect.UnifiedAPIs,
			RelayURL: e.RelayURL, RelaySecret: e.RelaySecret.Reveal(), RelayTimeout: e.RelayTimeout,
			MaxStreams: e.MaxStreams, Redis: shared.Redis()}, reg, log)
		if err != nil {
			return nil, err
		}
		s.closers = append(s.closers, ev.Close)
		// Open streams end as draining starts: they must not hold it up.
		s.onShutdown = append(s.onShutdown, ev.Shutdown)
		deps.Events, deps.WebhookPath = ev, e.WebhookPath
	}
	s.public = tracer.Handler(handler.NewPublic(deps))
	if opt.WrapPublic != nil {
		s.public = opt.WrapPublic(s.public)
	}
	checks := []handler.Check{
		{Name: "draining", Critical: true, Fn: func(context.Context) error {
			if s.draining.Load() {
				return errors.New("shutting down")
			}
			return nil
		}},
		{Name: "auth", Critical: true, Fn: authReady},
	}
	if shared.RedisCheck != nil {
		// Never fails readiness: without Redis, /connect keeps working.
		checks = append(checks, handler.Check{Name: "redis", Critical: false, Fn: shared.RedisCheck})
	}
	s.admin = handler.NewAdmin(reg, checks, cfg.AdminPprof)
	return s, nil
}

// close releases what newServer set up, in reverse order.
func (s *server) close() {
	for i := len(s.closers) - 1; i >= 0; i-- {
		s.closers[i]()
	}
}

// newAuthenticator builds the AUTH_MODE authenticator and its readiness check.
func newAuthenticator(ctx context.Context, cfg config.Config, reg prometheus.Registerer, log zerolog.Logger) (handler.Authenticator, func(context.Context) error, error) {
	alwaysReady := func(context.Context) error { return nil }
	switch cfg.AuthMode {
	case config.ModeHeader:
		return auth.NewHeader(cfg.Header, log), alwaysReady, nil
	case config.ModeForward:
		f, err := auth.NewForward(cfg.Forward, reg)
		if err != nil {
			return nil, nil, err
		}
		context.AfterFunc(ctx, f.Close)
		return f, alwaysReady, nil
	}
	// config.ModeJWT, which Load ensures when it is neither.
	jc := cfg.JWT
	if !cfg.HS256Secret.IsZero() {
		jc.HS256Secret = []byte(cfg.HS256Secret.Reveal())
	}
	v, err := auth.NewJWT(ctx, jc, reg, log)
	if err != nil {
		return nil, nil, err
	}
	return v, func(context.Context) error {
		if !v.Ready() {
			return errors.New("signing keys not loaded yet")
		}
		return nil
	}, nil
}
