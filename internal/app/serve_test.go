package app

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/vaultgate/vaultgate/internal/config"
	"github.com/vaultgate/vaultgate/internal/demo"
	"github.com/vaultgate/vaultgate/internal/simulator"
	"github.com/vaultgate/vaultgate/internal/syncbuf"
)

const testAPIKey = "sk_test_e2e_9f8e7d6c5b4a39281706"

// stack is vaultgate served on loopback against a simulated Apideck and a
// JWKS issuer, the way a deployment runs it.
type stack struct {
	sim     *simulator.Simulator
	issuer  *demo.Issuer
	public  string // base URL
	admin   string
	logs    *syncBuffer
	cancel  context.CancelFunc
	done    chan error
	simURL  string
	appUser demo.User
	// jwksHits counts requests to the identity provider's JWKS.
	jwksHits *atomic.Int64
}

// syncBuffer is a goroutine-safe sink for logs and process output.
type syncBuffer = syncbuf.Buffer

// environ turns vars into os.Environ's form: a whole environment that
// nothing of the process's own enters.
func environ(vars map[string]string) []string {
	out := make([]string, 0, len(vars))
	for k, v := range vars {
		out = append(out, k+"="+v)
	}
	return out
}

// startStack starts the whole service; env overrides the test defaults.
func startStack(t *testing.T, env map[string]string) *stack {
	t.Helper()
	return startStackWith(t, env, Options{}, nil)
}

// startStackWith is startStack with Serve options (listeners are always
// the test's own) and a log sink; nil keeps the logs in s.logs.
func startStackWith(t testing.TB, env map[string]string, opt Options, logSink io.Writer) *stack {
	t.Helper()
	sim, err := simulator.New(simulator.Config{APIKey: testAPIKey, AppID: "app-e2e"})
	if err != nil {
		t.Fatal(err)
	}
	idp := http.NewServeMux()
	simSrv := httptest.NewServer(idp)
	t.Cleanup(simSrv.Close)
	sim.SetVaultOrigin(simSrv.URL)
	issuer, err := demo.NewIssuer(simSrv.URL+"/idp", "vaultgate-e2e")
	if err != nil {
		t.Fatal(err)
	}
	hits := &atomic.Int64{}
	jwks := issuer.JWKS()
	idp.Handle("/idp/jwks.json", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		jwks.ServeHTTP(w, r)
	}))
	idp.Handle("/", sim)

	vars := map[string]string{
		"APIDECK_API_KEY":             testAPIKey,
		"APIDECK_APP_ID":              "app-e2e",
		"APIDECK_BASE_URL":            simSrv.URL,
		"APIDECK_TIMEOUT":             "2s",
		"VAULT_ORIGIN":                simSrv.URL,
		"AUTH_JWKS_URL":               simSrv.URL + "/idp/jwks.json",
		"AUTH_ISSUER":                 simSrv.URL + "/idp",
		"AUTH_AUDIENCE":               "vaultgate-e2e",
		"AUTH_COOKIE_NAME":            "app_session",
		"CONSUMER_ID_CLAIM":           "org.id",
		"VAULT_REDIRECT_URI":          "https://app.example.com/integrations/done",
		"VAULT_ALLOWED_REDIRECT_URIS": "https://app.example.com/integrations/",
		"VAULT_UNIFIED_APIS":          "crm,accounting",
		"VAULT_THEME_VAULT_NAME":      "Acme",
		"SHUTDOWN_TIMEOUT":            "5s",
	}
	for k, v := range env {
		vars[k] = v
	}
	cfg, err := config.Load(environ(vars))
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	pl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	al, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	if logSink == nil {
		logSink = logs
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &stack{sim: sim, issuer: issuer, logs: logs, cancel: cancel, done: make(chan error, 1), simURL: simSrv.URL,
		public: "http://" + pl.Addr().String(), admin: "http://" + al.Addr().String(),
		appUser:  demo.User{ID: "u-ada", Name: "Ada", Email: "ada@acme.test", OrgID: "org_acme", OrgName: "Acme"},
		jwksHits: hits}
	go func() {
		opt.Public, opt.Admin = pl, al
		s.done <- Serve(ctx, cfg, zerolog.New(logSink), opt)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-s.done:
		case <-time.After(10 * time.Second):
			t.Error("server did not stop")
		}
	})
	waitReady(t, s.admin)
	return s
}

// waitReady polls /readyz until the service has its keys.
func waitReady(t testing.TB, admin string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		res, err := http.Get(admin + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("service never became ready")
}

func (s *stack) token(t testing.TB) string {
	t.Helper()
	tok, err := s.issuer.Mint(s.appUser, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// noRedirect is a client that shows 302s instead of following them.
var noRedirect = &http.Client{
	Timeout:       10 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

func do(t *testing.T, method, url string, header http.Header, body string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, b
}

func bearer(tok string) http.Header { return http.Header{"Authorization": {"Bearer " + tok}} }

func TestRedirectFlowEndToEnd(t *testing.T) {
	s := startStack(t, nil)
	h := bearer(s.token(t))
	h.Set("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")
	res, _ := do(t, "GET", s.public+"/connect?unified_apis=crm", h, "")
	if res.StatusCode != http.StatusFound {
		t.Fatalf("status = %d, want 302", res.StatusCode)
	}
	loc := res.Header.Get("Location")
	if !strings.HasPrefix(loc, s.simURL+"/session/") {
		t.Fatalf("Location = %q, want a session on the simulated Vault", loc)
	}
	for _, name := range []string{"Cache-Control", "Referrer-Policy", "X-Content-Type-Options", "X-Frame-Options", "X-Request-Id"} {
		if res.Header.Get(name) == "" {
			t.Errorf("missing %s", name)
		}
	}
	rec := s.sim.LastRequest()
	if got := rec.Header.Get("x-apideck-consumer-id"); got != "org_acme" {
		t.Errorf("consumer header = %q, want org_acme", got)
	}
	var body map[string]any
	if err := json.Unmarshal(rec.Body, &body); err != nil {
		t.Fatal(err)
	}
	settings, _ := body["settings"].(map[string]any)
	if apis, _ := settings["unified_apis"].([]any); len(apis) != 1 || apis[0] != "crm" {
		t.Errorf("unified_apis sent = %v, want [crm]", settings["unified_apis"])
	}
	if body["redirect_uri"] != "https://app.example.com/integrations/done" {
		t.Errorf("redirect_uri sent = %v", body["redirect_uri"])
	}

	// The simulated Vault page accepts the session it was handed.
	page, pageBody := do(t, "GET", loc, nil, "")
	if page.StatusCode != http.StatusOK || !strings.Contains(string(pageBody), "org_acme") {
		t.Fatalf("vault page: %d", page.StatusCode)
	}
}

func TestJSONFlowsEndToEnd(t *testing.T) {
	s := startStack(t, nil)
	tok := s.token(t)
	cases := []struct {
		name, method, path, accept, body, contentType string
	}{
		{"GET with axios Accept", "GET", "/connect", "application/json, text/plain, */*", "", ""},
		{"POST without body", "POST", "/connect", "", "", ""},
		{"POST with options", "POST", "/connect", "application/json",
			`{"redirect_uri":"https://app.example.com/integrations/x","unified_apis":["accounting"]}`, "application/json"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := bearer(tok)
			if tc.accept != "" {
				h.Set("Accept", tc.accept)
			}
			if tc.contentType != "" {
				h.Set("Content-Type", tc.contentType)
			}
			res, b := do(t, tc.method, s.public+tc.path, h, tc.body)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("status = %d body=%s", res.StatusCode, b)
			}
			var got struct {
				SessionURI   string `json:"session_uri"`
				SessionToken string `json:"session_token"`
				ConsumerID   string `json:"consumer_id"`
				ExpiresAt    string `json:"expires_at"`
			}
			dec := json.NewDecoder(bytes.NewReader(b))
			if err := dec.Decode(&got); err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(got.SessionURI, s.simURL+"/session/") || got.SessionToken == "" || got.ConsumerID != "org_acme" {
				t.Fatalf("body = %s", b)
			}
			exp, err := time.Parse(time.RFC3339, got.ExpiresAt)
			if err != nil || time.Until(exp) < 50*time.Minute || time.Until(exp) > 61*time.Minute {
				t.Fatalf("expires_at = %q", got.ExpiresAt)
			}
		})
	}
}

func TestFailuresEndToEnd(t *testing.T) {
	s := startStack(t, map[string]string{"AUTH_LOGIN_URL": "https://app.example.com/login"})
	tok := s.token(t)
	cases := []struct {
		name     string
		header   http.Header
		path     string
		setup    func()
		status   int
		code     string
		location string
	}{
		{name: "no token", header: http.Header{"Accept": {"application/json"}}, path: "/connect", status: 401, code: "unauthenticated"},
		{name: "browser without token goes to login", header: http.Header{"Accept": {"text/html"}}, path: "/connect?unified_apis=crm",
			status: 302, location: "https://app.example.com/login?return_to=%2Fconnect%3Funified_apis%3Dcrm"},
		{name: "garbage token", header: bearer("not-a-jwt"), path: "/connect", status: 401, code: "unauthenticated"},
		{name: "foreign redirect", header: bearer(tok), path: "/connect?redirect_uri=https://evil.example/", status: 400, code: "invalid_redirect_uri"},
		{name: "unoffered api", header: bearer(tok), path: "/connect?unified_apis=hris", status: 400, code: "invalid_unified_apis"},
		{name: "apideck refuses key", header: bearer(tok), path: "/connect", setup: func() { s.sim.QueueStatuses(401) }, status: 502, code: "upstream_auth"},
		{name: "apideck quota", header: bearer(tok), path: "/connect", setup: func() { s.sim.QueueStatuses(402) }, status: 502, code: "upstream_payment_required"},
		{name: "apideck down", header: bearer(tok), path: "/connect", setup: func() { s.sim.QueueStatuses(503, 503, 503) }, status: 502, code: "upstream_unavailable"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.setup != nil {
				tc.setup()
			}
			res, b := do(t, "GET", s.public+tc.path, tc.header, "")
			if res.StatusCode != tc.status {
				t.Fatalf("status = %d, want %d (%s)", res.StatusCode, tc.status, b)
			}
			if tc.location != "" && res.Header.Get("Location") != tc.location {
				t.Fatalf("Location = %q, want %q", res.Header.Get("Location"), tc.location)
			}
			if tc.code == "" {
				return
			}
			if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("Content-Type = %q", ct)
			}
			var p struct {
				Code      string `json:"code"`
				RequestID string `json:"request_id"`
			}
			if err := json.Unmarshal(b, &p); err != nil || p.Code != tc.code {
				t.Fatalf("body = %s, want code %s", b, tc.code)
			}
		})
	}
}

// TestLogsHoldNoSecrets runs success and failure paths and then searches
// every log line for the credentials that passed through the service.
func TestLogsHoldNoSecrets(t *testing.T) {
	s := startStack(t, nil)
	tok := s.token(t)
	cookie := http.Header{"Cookie": {"app_session=" + tok}, "Accept": {"application/json"}}
	var secrets []string
	secrets = append(secrets, testAPIKey, tok)
	for _, h := range []http.Header{bearer(tok), cookie} {
		res, b := do(t, "POST", s.public+"/connect", h, "")
		if res.StatusCode != 200 {
			t.Fatalf("status %d: %s", res.StatusCode, b)
		}
		var got struct {
			SessionURI   string `json:"session_uri"`
			SessionToken string `json:"session_token"`
		}
		_ = json.Unmarshal(b, &got)
		secrets = append(secrets, got.SessionURI, got.SessionToken)
	}
	s.sim.QueueStatuses(401)
	do(t, "POST", s.public+"/connect", bearer(tok), "")
	do(t, "POST", s.public+"/connect", bearer(tok+"x"), "")
	do(t, "GET", s.public+"/connect?redirect_uri=https://evil.example/?token="+tok, bearer(tok), "")

	logs := s.logs.String()
	if !strings.Contains(logs, `"message":"request"`) {
		t.Fatalf("no access log lines captured:\n%s", logs)
	}
	for _, sec := range secrets {
		if sec == "" {
			t.Fatal("a secret under test is empty")
		}
		if strings.Contains(logs, sec) {
			t.Errorf("log contains a secret (%d chars)", len(sec))
		}
	}
	// Parts of a JWT are secret too: its signature must not appear.
	if sig := tok[strings.LastIndex(tok, ".")+1:]; strings.Contains(logs, sig) {
		t.Error("log contains a JWT signature")
	}
}

func TestShutdownDrainsInFlightRequests(t *testing.T) {
	s := startStack(t, nil)
	s.sim.SetLatency(700 * time.Millisecond)
	tok := s.token(t)
	const n = 5
	results := make(chan int, n)
	for range n {
		go func() {
			req, _ := http.NewRequest("POST", s.public+"/connect", nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			res, err := noRedirect.Do(req)
			if err != nil {
				results <- 0
				return
			}
			res.Body.Close()
			results <- res.StatusCode
		}()
	}
	time.Sleep(200 * time.Millisecond) // requests are in flight at the upstream
	s.cancel()
	// While draining, readiness is withdrawn.
	sawNotReady := false
	for range 20 {
		res, err := http.Get(s.admin + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusServiceUnavailable {
				sawNotReady = true
				break
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	for range n {
		if code := <-results; code != http.StatusOK {
			t.Fatalf("in-flight request ended with %d, want 200", code)
		}
	}
	if err := <-s.done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	s.done <- nil // for the cleanup
	if !sawNotReady {
		t.Error("/readyz never reported 503 while draining")
	}
}
