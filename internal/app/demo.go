package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"

	"github.com/vaultgate/vaultgate/internal/demo"
	"github.com/vaultgate/vaultgate/internal/simulator"
)

// demoRun is one demo server: the listeners it serves on and where it
// reads its variables and writes its output.
type demoRun struct {
	env    demoEnv
	public net.Listener
	admin  net.Listener // nil: listen on ADMIN_ADDR
	stdout io.Writer    // logs
	stderr io.Writer    // the banner
	// onReady, when set, is called once vaultgate accepts requests.
	onReady func(demoAddrs)
}

// demoAddrs is where a running demo can be reached.
type demoAddrs struct {
	appURL   string // http://localhost:<public port>: the cookie host the redirect URI uses
	upstream string // the loopback simulator, identity provider and app backend
	admin    net.Addr
}

// runDemo serves the demo on HTTP_ADDR (default :8080) from the process
// environment; see serveDemo.
func runDemo(ctx context.Context, stdout, stderr io.Writer, checkOnly bool) error {
	env := demoEnv{lookup: os.LookupEnv, environ: os.Environ()}
	httpAddr := env.value("HTTP_ADDR", demoDefaultHTTPAddr)
	if checkOnly {
		return checkDemo(env, httpAddr, stdout)
	}
	public, err := net.Listen("tcp", httpAddr)
	if err != nil {
		return fmt.Errorf("HTTP_ADDR: %w", err)
	}
	return serveDemo(ctx, demoRun{env: env, public: public, stdout: stdout, stderr: stderr})
}

// checkDemo validates the demo configuration without listening anywhere.
func checkDemo(env demoEnv, httpAddr string, stdout io.Writer) error {
	_, port, err := net.SplitHostPort(httpAddr)
	if err != nil {
		return fmt.Errorf("HTTP_ADDR: %w", err)
	}
	mode, modeErr := demoAuthMode(env)
	apiKey, err := newDemoAPIKey()
	if err != nil {
		return err
	}
	_, cfgErr := demoConfig(env, demoWiring{
		mode: mode, appURL: "http://localhost:" + port, httpAddr: httpAddr, apiKey: apiKey,
		origin: "http://127.0.0.1:1", // never contacted: nothing is served in check mode
	})
	if err := demoConfigError(modeErr, cfgErr); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "demo configuration OK")
	return nil
}

// serveDemo serves vaultgate's production handler against an in-process
// Apideck simulator and demo identity, both on a loopback listener, until
// ctx is done. Only the configuration differs from a real deployment:
// verification, forward auth, the upstream client and /connect are the same
// code. The app URL comes from the port run.public is bound to, so ":0"
// works.
func serveDemo(ctx context.Context, run demoRun) error {
	// Serve closes the listeners when it returns; these cover the early
	// returns before it.
	defer run.public.Close()
	if run.admin != nil {
		defer run.admin.Close()
	}
	mode, modeErr := demoAuthMode(run.env)
	apiKey, err := newDemoAPIKey()
	if err != nil {
		return err
	}
	sim, err := simulator.New(simulator.Config{APIKey: apiKey, AppID: demoAppID})
	if err != nil {
		return err
	}
	upstreamLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer upstreamLn.Close()
	origin := "http://" + upstreamLn.Addr().String()
	sim.SetVaultOrigin(origin)

	_, port, err := net.SplitHostPort(run.public.Addr().String())
	if err != nil {
		return fmt.Errorf("HTTP_ADDR: %w", err)
	}
	appURL := "http://localhost:" + port
	w := demoWiring{mode: mode, appURL: appURL, httpAddr: run.public.Addr().String(), origin: origin, apiKey: apiKey}
	if run.admin != nil {
		w.adminAddr = run.admin.Addr().String()
	}
	cfg, cfgErr := demoConfig(run.env, w)
	if err := demoConfigError(modeErr, cfgErr); err != nil {
		return err
	}
	log := newLogger(run.stdout, cfg.LogLevel, cfg.LogFormat)

	// The loopback server plays every party that is not vaultgate: Apideck,
	// and the app's identity (its JWKS, or its "who am I" endpoint).
	mux := http.NewServeMux()
	var app *demo.App
	switch mode {
	case demoModeForward:
		app = demo.NewSessionApp(demoSessionCookieName, log)
		mux.Handle(demoMePath, app.Me())
	default:
		issuer, err := demo.NewIssuer(origin+"/demo-idp", demoAudience)
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

	return Serve(ctx, cfg, log, Options{
		Public: run.public,
		Admin:  run.admin,
		Mount:  app.Routes,
		OnReady: func(_, admin net.Addr) {
			printDemoBanner(run.stderr, appURL, mode)
			if run.onReady != nil {
				run.onReady(demoAddrs{appURL: appURL, upstream: origin, admin: admin})
			}
		},
	})
}

// printDemoBanner tells the person who started the demo where to go.
func printDemoBanner(w io.Writer, appURL, mode string) {
	if w == nil {
		return
	}
	how := "a JWT cookie vaultgate verifies (AUTH_MODE=jwt).\n" +
		"  DEMO_AUTH_MODE=forward shows an opaque app session cookie instead"
	if mode == demoModeForward {
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

// newDemoAPIKey makes a throwaway key that only the simulator accepts.
func newDemoAPIKey() (string, error) {
	key := make([]byte, 24)
	if _, err := rand.Read(key); err != nil {
		return "", err
	}
	return "demo_" + hex.EncodeToString(key), nil
}
