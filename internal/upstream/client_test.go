package upstream

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rs/zerolog"
)

// captured is what the fake upstream saw of one request.
type captured struct {
	method, path string
	header       http.Header
	body         []byte
}

func TestCreateSessionSendsRequest(t *testing.T) {
	t.Parallel()
	var (
		mu   sync.Mutex
		seen []captured
	)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen = append(seen, captured{r.Method, r.URL.Path, r.Header.Clone(), b})
		mu.Unlock()
		okHandler(w, r)
	})
	// A base URL with a path prefix and trailing slash keeps the prefix.
	tc := newTestClient(t, srv, func(c *Config) { c.BaseURL = srv.URL + "/gw/" })

	yes := true
	req := SessionRequest{
		ConsumerMetadata: &ConsumerMetadata{AccountName: "Acme", Email: "a@acme.test"},
		RedirectURI:      "https://app.example.test/done",
		Settings:         &Settings{UnifiedAPIs: []string{"crm"}, SandboxMode: &yes, AllowActions: []string{}},
		Theme:            &Theme{PrimaryColor: "#286efa"},
	}
	sess, res, err := tc.CreateSession(t.Context(), testConsumer, req)
	if err != nil {
		t.Fatalf("CreateSession: %v", err)
	}
	if sess.URI != testURI || sess.Token != testToken || sess.CreatedAt.IsZero() {
		t.Errorf("session = %+v", sess)
	}
	if res.Status != 200 || res.Attempts != 1 || res.Duration <= 0 {
		t.Errorf("result = %+v", res)
	}

	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 1 {
		t.Fatalf("upstream saw %d requests, want 1", len(seen))
	}
	got := seen[0]
	if got.method != http.MethodPost || got.path != "/gw/vault/sessions" {
		t.Errorf("request = %s %s, want POST /gw/vault/sessions", got.method, got.path)
	}
	wantHeaders := map[string]string{
		"Authorization":         "Bearer " + testKey,
		"X-Apideck-App-Id":      testAppID,
		"X-Apideck-Consumer-Id": testConsumer,
		"Content-Type":          "application/json",
		"Accept":                "application/json",
	}
	for k, want := range wantHeaders {
		if v := got.header.Get(k); v != want {
			t.Errorf("header %s = %q, want %q", k, v, want)
		}
	}
	// The key travels in Authorization and nowhere else.
	for k, vs := range got.header {
		for _, v := range vs {
			if k != "Authorization" && strings.Contains(v, testKey) {
				t.Errorf("API key found in header %s", k)
			}
		}
	}
	if strings.Contains(string(got.body), testKey) {
		t.Error("API key found in body")
	}
	var body, want map[string]any
	if err := json.Unmarshal(got.body, &body); err != nil {
		t.Fatalf("body is not JSON: %v", err)
	}
	wantJSON := `{"consumer_metadata":{"account_name":"Acme","email":"a@acme.test"},
		"redirect_uri":"https://app.example.test/done",
		"settings":{"unified_apis":["crm"],"sandbox_mode":true,"allow_actions":[]},
		"theme":{"primary_color":"#286efa"}}`
	if err := json.Unmarshal([]byte(wantJSON), &want); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, body); diff != "" {
		t.Errorf("body mismatch (-want +got):\n%s", diff)
	}
}

func TestCreateSessionRefusesBadConsumerID(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) { hits.Add(1); okHandler(w, r) })
	tc := newTestClient(t, srv, nil)
	for _, id := range []string{"", "org 42", "org\r\nX-Evil: 1", "ü", strings.Repeat("a", 256)} {
		_, res, err := tc.CreateSession(t.Context(), id, SessionRequest{})
		if e := asError(t, err); e.Kind != KindRejected || res.Attempts != 0 {
			t.Errorf("consumer %q: kind %v attempts %d, want rejected without attempts", id, e.Kind, res.Attempts)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("upstream hit %d times", n)
	}
}

func TestCreateSessionCallerAlreadyGone(t *testing.T) {
	t.Parallel()
	srv := newServer(t, okHandler)
	tc := newTestClient(t, srv, nil)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, res, err := tc.create(ctx)
	if e := asError(t, err); e.Kind != KindTimeout || res.Attempts != 0 {
		t.Errorf("kind %v attempts %d, want timeout without attempts", e.Kind, res.Attempts)
	}
}

func TestNewValidatesConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		mutate func(*Config)
		want   string // substring of the error; "" means valid
	}{
		{"valid", func(*Config) {}, ""},
		{"base with path", func(c *Config) { c.BaseURL = "https://gw.example.test/apideck" }, ""},
		{"origin with slash", func(c *Config) { c.VaultOrigin = "https://vault.example.test/" }, ""},
		{"relative base", func(c *Config) { c.BaseURL = "unify.apideck.com" }, "base URL"},
		{"ftp base", func(c *Config) { c.BaseURL = "ftp://unify.apideck.com" }, "base URL"},
		{"base with userinfo", func(c *Config) { c.BaseURL = "https://u:p@unify.apideck.com" }, "userinfo"},
		{"no key", func(c *Config) { c.APIKey = "" }, "API key"},
		{"no app", func(c *Config) { c.AppID = "" }, "app id"},
		{"zero timeout", func(c *Config) { c.Timeout = 0 }, "timeout"},
		{"negative retries", func(c *Config) { c.MaxRetries = -1 }, "retries"},
		{"zero concurrency", func(c *Config) { c.MaxConcurrency = 0 }, "concurrency"},
		{"zero failures", func(c *Config) { c.BreakerFailures = 0 }, "breaker failures"},
		{"zero cooldown", func(c *Config) { c.BreakerCooldown = 0 }, "cooldown"},
		{"origin with path", func(c *Config) { c.VaultOrigin = "https://vault.example.test/x" }, "vault origin"},
		{"origin relative", func(c *Config) { c.VaultOrigin = "vault.example.test" }, "vault origin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig("https://unify.example.test")
			tt.mutate(&cfg)
			_, err := New(cfg, nil, zerolog.Nop())
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("New: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("New error = %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}

func TestNewReportsEveryProblem(t *testing.T) {
	t.Parallel()
	_, err := New(Config{}, nil, zerolog.Nop())
	if err == nil {
		t.Fatal("New(Config{}) succeeded")
	}
	for _, want := range []string{"base URL", "API key", "app id", "timeout", "concurrency", "breaker failures", "cooldown", "vault origin"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestCreateSessionWithinTimeoutWhenHanging(t *testing.T) {
	t.Parallel()
	srv := newHangingServer(t)
	timeout := 300 * time.Millisecond
	tc := newTestClient(t, srv, func(c *Config) { c.Timeout = timeout })
	start := time.Now()
	_, res, err := tc.create(t.Context())
	elapsed := time.Since(start)
	e := asError(t, err)
	if e.Kind != KindTimeout || res.Status != 0 || res.Attempts != 1 {
		t.Errorf("kind %v result %+v, want timeout after 1 attempt without status", e.Kind, res)
	}
	if elapsed > timeout+time.Second {
		t.Errorf("returned after %v, want about %v", elapsed, timeout)
	}
	if got := tc.outcomes(outcomeTimeout); got != 1 {
		t.Errorf("timeout outcomes = %d, want 1", got)
	}
}
