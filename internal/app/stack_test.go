package app

import (
	"context"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"go.opentelemetry.io/otel/trace"

	"github.com/vaultgate/vaultgate/internal/config"
	"github.com/vaultgate/vaultgate/internal/demo"
	"github.com/vaultgate/vaultgate/internal/simulator"
	"github.com/vaultgate/vaultgate/internal/testkit"
)

const (
	testAPIKey   = "sk_test_e2e_9f8e7d6c5b4a39281706"
	testAppID    = "app-e2e"
	testAudience = "vaultgate-e2e"
)

// stack is vaultgate served on loopback until the test ends, the way a
// deployment runs it: by Serve against a simulated Apideck that also
// publishes the identity provider's keys or, in demo mode, by serveDemo with
// the simulator and demo identity it brings along.
type stack struct {
	public, admin string            // base URLs; in demo mode public is http://localhost:<port>
	simURL        string            // the simulator's base URL (VAULT_ORIGIN too, but not in demo mode)
	env           map[string]string // every variable vaultgate was given
	logs, banner  *testkit.Buffer   // banner: demo mode's stderr
	// Not in demo mode:
	sim      *simulator.Simulator
	issuer   *demo.Issuer  // mints the tokens vaultgate accepts
	jwksHits *atomic.Int64 // requests for the issuer's JWKS
	upstream *exchangeLog  // with recordUpstream: what vaultgate and the simulator said

	cancel context.CancelFunc
	done   chan error
}

// stackOption adjusts startStack.
type stackOption func(*stackSetup)

type stackSetup struct {
	exactEnv, demo, record bool
	logSink                io.Writer
	serve                  Options
}

// exactEnv gives vaultgate exactly env plus the Apideck variables, as a
// README example sets them, instead of the test defaults.
func exactEnv(c *stackSetup) { c.exactEnv = true }

// demoMode serves the demo (serveDemo); env overrides demoTestVars.
func demoMode(c *stackSetup) { c.demo = true }

// recordUpstream keeps every request vaultgate sends the simulator, with
// the answer's body, in s.upstream.
func recordUpstream(c *stackSetup) { c.record = true }

// logTo sends vaultgate's log to w instead of s.logs.
func logTo(w io.Writer) stackOption { return func(c *stackSetup) { c.logSink = w } }

// traced traces through tp instead of what the environment says.
func traced(tp trace.TracerProvider) stackOption {
	return func(c *stackSetup) { c.serve.TracerProvider = tp }
}

// demoTestVars are the variables every demo stack is given; the test's own
// override them. The process environment is never read.
func demoTestVars() map[string]string {
	return map[string]string{
		"VAULT_UNIFIED_APIS":     "crm,hris",
		"VAULT_THEME_VAULT_NAME": "Acme Integrations (test)",
		"LOG_FORMAT":             "json",
		"LOG_LEVEL":              "debug",
		"SHUTDOWN_TIMEOUT":       "5s",
	}
}

// startStack serves vaultgate on 127.0.0.1:0 listeners and returns once
// /readyz answers 200; env overrides the test defaults. The log is printed
// when the test fails.
func startStack(t testing.TB, env map[string]string, opts ...stackOption) *stack {
	t.Helper()
	var c stackSetup
	for _, o := range opts {
		o(&c)
	}
	pl, al := listen(t), listen(t)
	s := &stack{admin: "http://" + al.Addr().String(), logs: &testkit.Buffer{}, banner: &testkit.Buffer{}, done: make(chan error, 1)}
	ready := make(chan struct{})
	var serve func(context.Context) error
	if c.demo {
		s.env = demoTestVars()
		maps.Copy(s.env, env)
		run := demoRun{environ: testkit.Environ(s.env), public: pl, admin: al, stdout: s.logs, stderr: s.banner,
			onReady: func(w demoWiring) {
				s.public, s.simURL = w.appURL, w.origin
				close(ready)
			}}
		serve = func(ctx context.Context) error { return serveDemo(ctx, run) }
	} else {
		s.public = "http://" + pl.Addr().String()
		cfg := s.startUpstream(t, env, c)
		var sink io.Writer = s.logs
		if c.logSink != nil {
			sink = c.logSink
		}
		c.serve.Public, c.serve.Admin = pl, al
		serve = func(ctx context.Context) error { return Serve(ctx, cfg, zerolog.New(sink), c.serve) }
		close(ready)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	go func() { s.done <- serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-s.done:
			if err != nil {
				t.Errorf("vaultgate: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("vaultgate did not stop")
		}
		if t.Failed() {
			t.Logf("vaultgate log:\n%s", s.logs)
		}
	})
	select {
	case <-ready:
	case err := <-s.done:
		s.done <- err // for the cleanup
		t.Fatalf("vaultgate stopped before it was ready: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("vaultgate not ready after 10s")
	}
	testkit.Eventually(t, "/readyz to answer 200", func() bool {
		res, err := http.Get(s.admin + "/readyz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	})
	return s
}

// startUpstream starts the simulated Apideck and the identity provider on
// one loopback server, and returns vaultgate's configuration for them.
func (s *stack) startUpstream(t testing.TB, env map[string]string, c stackSetup) config.Config {
	t.Helper()
	sim, err := simulator.New(simulator.Config{APIKey: testAPIKey, AppID: testAppID})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	sim.SetVaultOrigin(srv.URL)
	issuer, err := demo.NewIssuer(srv.URL+"/idp", testAudience)
	if err != nil {
		t.Fatal(err)
	}
	s.sim, s.issuer, s.simURL, s.jwksHits = sim, issuer, srv.URL, &atomic.Int64{}
	jwks := issuer.JWKS()
	mux.Handle("/idp/jwks.json", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.jwksHits.Add(1)
		jwks.ServeHTTP(w, r)
	}))
	var api http.Handler = sim
	if c.record {
		s.upstream = &exchangeLog{}
		api = s.upstream.wrap(sim)
	}
	mux.Handle("/", api)

	s.env = map[string]string{
		// The README tells operators to mount the key as a file.
		"APIDECK_API_KEY_FILE": writeSecret(t, "apideck_api_key", testAPIKey+"\n"),
		"APIDECK_APP_ID":       testAppID,
		"APIDECK_BASE_URL":     srv.URL,
		"VAULT_ORIGIN":         srv.URL,
	}
	if c.exactEnv {
		for k := range env {
			if _, clash := s.env[k]; clash {
				t.Fatalf("the README example sets %s itself; the test expects only authentication variables", k)
			}
		}
	} else {
		maps.Copy(s.env, map[string]string{
			"APIDECK_TIMEOUT":             "2s",
			"AUTH_JWKS_URL":               srv.URL + "/idp/jwks.json",
			"AUTH_ISSUER":                 srv.URL + "/idp",
			"AUTH_AUDIENCE":               testAudience,
			"AUTH_COOKIE_NAME":            "app_session",
			"CONSUMER_ID_CLAIM":           "org.id",
			"VAULT_REDIRECT_URI":          "https://app.example.com/integrations/done",
			"VAULT_ALLOWED_REDIRECT_URIS": "https://app.example.com/integrations/",
			"VAULT_UNIFIED_APIS":          "crm,accounting",
			"VAULT_THEME_VAULT_NAME":      "Acme",
			"SHUTDOWN_TIMEOUT":            "5s",
		})
	}
	maps.Copy(s.env, env)
	cfg, err := config.Load(testkit.Environ(s.env))
	if err != nil {
		t.Fatalf("vaultgate rejects the configuration:\n%v", err)
	}
	return cfg
}

// listen opens a 127.0.0.1:0 listener; Serve closes it.
func listen(t testing.TB) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// writeSecret writes content to a fresh file readable only by its owner, as
// a mounted secret would be, and returns its path.
func writeSecret(t testing.TB, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// token mints a token the stack accepts, for Ada of org_acme.
func (s *stack) token(t testing.TB) string {
	t.Helper()
	return s.tokenFor(t, demo.User{ID: "u-ada", Name: "Ada", Email: "ada@acme.test", OrgID: "org_acme", OrgName: "Acme"})
}

// tokenFor mints a token for u, so a test can speak for several users
// without them sharing rate limits or sessions.
func (s *stack) tokenFor(t testing.TB, u demo.User) string {
	t.Helper()
	tok, err := s.issuer.Mint(u, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
