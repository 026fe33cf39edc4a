package app

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/vaultgate/vaultgate/internal/config"
	"github.com/vaultgate/vaultgate/internal/demo"
	"github.com/vaultgate/vaultgate/internal/handler"
	"github.com/vaultgate/vaultgate/internal/simulator"
	"github.com/vaultgate/vaultgate/internal/upstream"
)

// The loopback server plays Apideck, the identity provider and the app's
// "who am I": what only servers call. What a browser opens (the app, vaultgate,
// the simulated Vault pages) is on the public listener.
const (
	demoAppID             = "vaultgate-demo"
	demoAudience          = "vaultgate-demo"
	demoCookieName        = "vaultgate_demo"
	demoSessionCookieName = "demo_app_session"
	demoJWKSPath          = "/demo-idp/jwks.json"
	demoMePath            = "/demo-app/api/me"
	// demoWebhookPath is where the simulator delivers its signed webhooks
	// (APIDECK_WEBHOOK_PATH), on vaultgate's own public listener.
	demoWebhookPath = "/demo/webhooks/apideck"
)

// demoRun is one demo server: its listeners, variables and output.
type demoRun struct {
	environ        []string
	public, admin  net.Listener     // admin nil: listen on ADMIN_ADDR
	stdout, stderr io.Writer        // logs, the banner
	onReady        func(demoWiring) // called once vaultgate accepts requests, with adminAddr set
}

// demoWiring is what demo mode fixes in the configuration: where it runs.
type demoWiring struct {
	appURL              string // http://localhost:<public port>: the origin vaultgate is configured with, also Vault's
	origin              string // the loopback simulator API, identity provider and app backend
	apiKey              string
	httpAddr, adminAddr string // the listeners' addresses; empty: as configured
}

// runDemo serves the demo on HTTP_ADDR, read first because the rest of the
// configuration carries the port bound, or with checkOnly validates it.
func runDemo(ctx context.Context, environ []string, stdout, stderr io.Writer, checkOnly bool) error {
	addr, err := config.ListenAddr(environ, "HTTP_ADDR")
	if err != nil {
		return configError(err)
	}
	if checkOnly {
		// Nothing is served: the loopback server is never contacted.
		_, port, _ := net.SplitHostPort(addr)
		if _, err := demoConfig(environ, demoWiring{appURL: "http://localhost:" + port, origin: "http://127.0.0.1:1"}); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "demo configuration OK")
		return nil
	}
	public, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("HTTP_ADDR: %w", err)
	}
	return serveDemo(ctx, demoRun{environ: environ, public: public, stdout: stdout, stderr: stderr})
}

// demoConfig is the demo's configuration: the loopback server as Apideck
// and identity provider, the demo app's pages as redirect and login
// targets (which the environment may override), the rest as it says.
func demoConfig(environ []string, w demoWiring) (config.Config, error) {
	d := config.Defaults()
	d.APIKey = config.NewSecret(w.apiKey)
	// The simulated Vault pages are served on the public listener beside the
	// app, so VAULT_ORIGIN is the app's origin; see demo.RelativeRedirects
	// for browsers that use another name for it.
	d.Upstream.AppID, d.Upstream.BaseURL, d.Upstream.VaultOrigin = demoAppID, w.origin, w.appURL
	d.JWT.JWKSURL, d.JWT.Issuer, d.JWT.Audience = w.origin+demoJWKSPath, w.origin+"/demo-idp", demoAudience
	d.JWT.Algorithms, d.JWT.CookieName = []string{"ES256"}, demoCookieName
	d.Forward.URL = w.origin + demoMePath

	d.Connect.Mapping.IDClaim = "org.id"
	d.Connect.UnifiedAPIs = []string{"crm", "accounting", "hris", "file-storage", "ats"}
	d.Connect.Theme = &upstream.Theme{VaultName: "Acme Integrations (demo)", PrimaryColor: "#286efa"}
	d.Connect.LoginURL = w.appURL + "/"
	d.Connect.DefaultRedirectURI = w.appURL + "/demo/connected"
	var err error
	if d.Connect.Redirects, err = handler.NewAllowlist([]string{w.appURL + "/demo/"}); err != nil {
		return config.Config{}, err
	}
	d.Events.WebhookPath = demoWebhookPath
	d.LogFormat = "console"
	cfg, err := config.LoadDemo(environ, d)
	if err != nil {
		return config.Config{}, configError(err)
	}
	if w.httpAddr != "" {
		cfg.HTTPAddr = w.httpAddr
	}
	if w.adminAddr != "" {
		cfg.AdminAddr = w.adminAddr
	}
	return cfg, nil
}

// serveDemo serves vaultgate's production handler against an in-process
// Apideck simulator and demo identity on a loopback listener until ctx is
// done: only the configuration differs from a real deployment. The app URL
// comes from the port run.public is bound to, so ":0" works.
func serveDemo(ctx context.Context, run demoRun) error {
	// Serve closes the listeners; these cover the returns before it.
	defer run.public.Close()
	w := demoWiring{httpAddr: run.public.Addr().String()}
	if run.admin != nil {
		defer run.admin.Close()
		w.adminAddr = run.admin.Addr().String()
	}
	w.apiKey = "demo_" + rand.Text() // a throwaway key only the simulator accepts
	upstreamLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer upstreamLn.Close()
	w.origin = "http://" + upstreamLn.Addr().String()
	_, port, _ := net.SplitHostPort(w.httpAddr)
	w.appURL = "http://localhost:" + port
	cfg, err := demoConfig(run.environ, w)
	if err != nil {
		return err
	}
	log := newLogger(run.stdout, cfg.LogLevel, cfg.LogFormat)
	var webhookURL string
	if cfg.Events.WebhookPath != "" {
		webhookURL = "http://" + loopbackAddr(run.public.Addr()) + cfg.Events.WebhookPath
	}
	sim, err := simulator.New(simulator.Config{APIKey: w.apiKey, AppID: demoAppID, WebhookURL: webhookURL, ErrorLog: newStdLogger(log)})
	if err != nil {
		return err
	}
	sim.SetVaultOrigin(w.appURL)
	mux := http.NewServeMux()
	var app *demo.App
	switch cfg.AuthMode {
	case config.ModeForward:
		app = demo.NewSessionApp(demoSessionCookieName, log)
		mux.Handle(demoMePath, app.Me())
	default:
		issuer, err := demo.NewIssuer(cfg.JWT.Issuer, demoAudience)
		if err != nil {
			return err
		}
		mux.Handle(demoJWKSPath, issuer.JWKS())
		app = demo.NewApp(issuer, demoCookieName, log)
	}
	mux.Handle("/", sim)
	upstreamSrv := &http.Server{Handler: mux, ReadHeaderTimeout: readHeaderTimeout, ErrorLog: newStdLogger(log)}
	go func() {
		if err := upstreamSrv.Serve(upstreamLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error().Err(err).Msg("demo simulator stopped")
		}
	}()
	defer upstreamSrv.Close()
	pages := func(r chi.Router) {
		app.Routes(r)
		// The simulated Vault pages a session URI or deep link leads to, and
		// the forms on them.
		r.Handle("/session/*", sim)
		r.Handle("/integrations/*", sim)
	}
	return Serve(ctx, cfg, log, Options{
		Public: run.public, Admin: run.admin, Mount: pages, WrapPublic: demo.RelativeRedirects(w.appURL),
		OnReady: func(_, admin net.Addr) {
			printDemoBanner(run.stderr, w.appURL, cfg.AuthMode)
			if run.onReady != nil {
				w.adminAddr = admin.String()
				run.onReady(w)
			}
		},
	})
}

// loopbackAddr is how the simulator reaches the public listener from inside
// the process: over loopback when it listens on every address, else at the
// one address it listens on.
func loopbackAddr(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if ip := net.ParseIP(host); err == nil && ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// printDemoBanner tells the person who started the demo where to go.
func printDemoBanner(w io.Writer, appURL, mode string) {
	how := "a JWT cookie vaultgate verifies (AUTH_MODE=jwt).\n" +
		"  DEMO_AUTH_MODE=forward shows an opaque app session cookie instead"
	if mode == config.ModeForward {
		how = "an opaque session cookie vaultgate checks with the app's\n" +
			"  who-am-I endpoint (AUTH_MODE=forward). DEMO_AUTH_MODE=jwt shows JWTs"
	}
	fmt.Fprintf(w, "\n  ── vaultgate DEMO ─────────────────────────────────────────────\n"+
		"  Simulated Apideck and demo users; no key, no account, no network.\n"+
		"  Open %s/ and sign in as one of the demo users.\n"+
		"  Sign-in: %s.\n"+
		"  (Never use -demo in production.)\n"+
		"  ───────────────────────────────────────────────────────────────\n\n", appURL, how)
}
