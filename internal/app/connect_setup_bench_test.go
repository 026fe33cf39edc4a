package app

import (
	"bufio"
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

	"github.com/vaultgate/vaultgate/internal/config"
	"github.com/vaultgate/vaultgate/internal/simulator"
	"github.com/vaultgate/vaultgate/internal/testkit"
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

// benchJWKS is the identity provider's key set for the asymmetric cases:
// keys' "rsa-1" and "ec-1".
func benchJWKS(b *testing.B, keys testkit.Keys) []byte {
	b.Helper()
	data, err := json.Marshal(jose.JSONWebKeySet{Keys: keys.JWKS()[:2]})
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// benchMinter mints tokens shaped like a typical SaaS identity provider's:
// organisation id and name, user name and email.
type benchMinter struct {
	alg jose.SignatureAlgorithm
	key any
	kid string
	now time.Time
}

func newBenchMinter(alg jose.SignatureAlgorithm, key any, kid string) benchMinter {
	return benchMinter{alg: alg, key: key, kid: kid, now: time.Now()}
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
	tok := testkit.Sign(b, m.alg, m.key, m.kid, claims)
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
	cfg, err := config.Load(testkit.Environ(vars))
	if err != nil {
		b.Fatalf("config: %v", err)
	}
	return cfg
}

// benchRouter is the public handler as Serve builds it, with the access
// log written (and thrown away) at info level so its cost is measured.
func benchRouter(b *testing.B, cfg config.Config) http.Handler {
	b.Helper()
	s, err := newServer(b.Context(), cfg, newLogger(io.Discard, cfg.LogLevel, cfg.LogFormat), Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(s.close)
	rec := httptest.NewRecorder()
	s.admin.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	if rec.Code != http.StatusOK {
		b.Fatalf("not ready: %s", rec.Body)
	}
	return s.public
}
