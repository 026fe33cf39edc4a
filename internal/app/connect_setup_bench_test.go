package app

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/vaultgate/vaultgate/internal/config"
	"github.com/vaultgate/vaultgate/internal/handler"
	"github.com/vaultgate/vaultgate/internal/metrics"
	"github.com/vaultgate/vaultgate/internal/sessions"
	"github.com/vaultgate/vaultgate/internal/simulator"
	"github.com/vaultgate/vaultgate/internal/upstream"
)

const (
	benchAPIKey   = "sk_bench_3c1f0e9d8b7a6f5e4d3c2b1a"
	benchAppID    = "app-bench"
	benchIssuer   = "https://idp.bench.test/"
	benchAudience = "vaultgate-bench"
	benchHMAC     = "bench-hs256-secret-at-least-32-bytes-long"
	// benchUsers users' tokens are used in turn by the repeat-token
	// benchmarks, so requests come from many users (identical requests in
	// flight would share one upstream call).
	benchUsers = 256
)

// benchKeys are the identity provider's keys for the asymmetric cases.
type benchKeys struct {
	rsa *rsa.PrivateKey
	ec  *ecdsa.PrivateKey
}

func newBenchKeys(b *testing.B) benchKeys {
	b.Helper()
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		b.Fatal(err)
	}
	ek, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	return benchKeys{rsa: rk, ec: ek}
}

func (k benchKeys) jwks(b *testing.B) []byte {
	b.Helper()
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: &k.rsa.PublicKey, KeyID: "rsa-1", Algorithm: string(jose.RS256), Use: "sig"},
		{Key: &k.ec.PublicKey, KeyID: "ec-1", Algorithm: string(jose.ES256), Use: "sig"},
	}}
	data, err := json.Marshal(set)
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// benchMinter mints tokens shaped like a typical SaaS identity provider's:
// organisation id and name, user name and email.
type benchMinter struct {
	signer jose.Signer
	now    time.Time
}

func newBenchMinter(b *testing.B, alg jose.SignatureAlgorithm, key any, kid string) benchMinter {
	b.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if kid != "" {
		opts = opts.WithHeader(jose.HeaderKey("kid"), kid)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		b.Fatal(err)
	}
	return benchMinter{signer: signer, now: time.Now()}
}

// request is GET /connect (JSON answer) with the nth user's token; n also
// makes the token itself unique.
func (m benchMinter) request(b *testing.B, n int) *http.Request {
	b.Helper()
	claims := map[string]any{
		"iss": benchIssuer, "aud": benchAudience, "sub": fmt.Sprintf("user-%d", n), "jti": strconv.Itoa(n),
		"iat": m.now.Unix(), "exp": m.now.Add(2 * time.Hour).Unix(),
		"org_id": fmt.Sprintf("org_%d", n%64), "org_name": fmt.Sprintf("Org %d", n%64),
		"name": fmt.Sprintf("User %d", n), "email": fmt.Sprintf("user%d@bench.test", n),
	}
	tok, err := jwt.Signed(m.signer).Claims(claims).Serialize()
	if err != nil {
		b.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodGet, "/connect?unified_apis=crm", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	r.Header.Set("Accept", "application/json")
	return r
}

// benchSimulatorEnv makes the test binary, started again by
// startBenchSimulator, serve the simulator instead of running tests.
const benchSimulatorEnv = "VAULTGATE_BENCH_SIMULATOR"

// TestBenchSimulatorProcess is not a test: it is the simulator process of
// the end-to-end benchmark, which runs Apideck's side apart so that ns/op
// and allocs/op count vaultgate's work only (the simulator signs an ES256
// token per session, which would otherwise be half of them). It serves on
// loopback until its stdin closes.
func TestBenchSimulatorProcess(t *testing.T) {
	if os.Getenv(benchSimulatorEnv) != "1" {
		t.Skip("simulator process of BenchmarkConnectEndToEnd")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	sim, err := simulator.New(simulator.Config{APIKey: benchAPIKey, AppID: benchAppID, VaultOrigin: url})
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	fmt.Println(url)
	_, _ = io.Copy(io.Discard, os.Stdin)
	_ = srv.Close()
}

// startBenchSimulator runs the simulator in a child process and returns
// its base URL.
func startBenchSimulator(b *testing.B) string {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestBenchSimulatorProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), benchSimulatorEnv+"=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		_ = stdin.Close() // the child exits at EOF
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		b.Fatalf("simulator process: %v", err)
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	return strings.TrimSpace(line)
}

// serveJWKS serves the identity provider's keys on loopback.
func serveJWKS(b *testing.B, jwks []byte) string {
	b.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(jwks)
	}))
	b.Cleanup(srv.Close)
	return srv.URL
}

// benchConfig is a production-like configuration: consumer from a claim,
// metadata claims, an allow-listed redirect, a theme and no rate limits.
func benchConfig(b *testing.B, upstreamURL string, keySource map[string]string) config.Config {
	b.Helper()
	vars := map[string]string{
		"APIDECK_API_KEY":             benchAPIKey,
		"APIDECK_APP_ID":              benchAppID,
		"APIDECK_BASE_URL":            upstreamURL,
		"VAULT_ORIGIN":                upstreamURL,
		"AUTH_ISSUER":                 benchIssuer,
		"AUTH_AUDIENCE":               benchAudience,
		"CONSUMER_ID_CLAIM":           "org_id",
		"VAULT_REDIRECT_URI":          "https://app.bench.test/integrations/done",
		"VAULT_ALLOWED_REDIRECT_URIS": "https://app.bench.test/integrations/",
		"VAULT_UNIFIED_APIS":          "crm,accounting,hris",
		"VAULT_THEME_VAULT_NAME":      "Bench",
		"RATE_LIMIT_PER_MINUTE":       "0",
		"LOG_LEVEL":                   "info",
	}
	for k, v := range keySource {
		vars[k] = v
	}
	cfg, err := config.FromLookup(func(name string) (string, bool) {
		v, ok := vars[name]
		return v, ok
	})
	if err != nil {
		b.Fatalf("config: %v", err)
	}
	return cfg
}

// benchRouter wires the public router the way Serve does, with the access
// log written (and thrown away) at info level so its cost is measured.
func benchRouter(b *testing.B, cfg config.Config) http.Handler {
	b.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(cancel)
	log := newLogger(io.Discard, cfg.LogLevel, cfg.LogFormat)
	reg := prometheus.NewRegistry()
	m := metrics.New(reg)
	authn, ready, err := newAuthenticator(ctx, cfg, reg, log)
	if err != nil {
		b.Fatal(err)
	}
	if err := ready(ctx); err != nil {
		b.Fatal(err)
	}
	client, err := upstream.New(cfg.Upstream, m, log)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(client.Close)
	shared, err := newSharedState(cfg, log)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(shared.close)
	sess := sessions.New(client, m, sessions.Options{
		Store: shared.store, ReuseTTL: cfg.SessionReuseTTL, Lifetime: cfg.Connect.SessionLength,
	})
	return handler.NewPublic(handler.Deps{
		Log: log, Metrics: m, Auth: authn, Sessions: sess,
		UserLimit: shared.limiter(ctx, "user", cfg.RateLimitPerMinute),
		IPLimit:   shared.limiter(ctx, "ip", cfg.RateLimitPerIPPerMinute),
		Connect:   cfg.Connect,
	})
}
