package upstream

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
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
	reqBody, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	sess, res, err := tc.CreateSession(t.Context(), testConsumer, reqBody)
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
	if elapsed > timeout+3*time.Second { // generous: a loaded CI machine, yet far from hanging forever
		t.Errorf("returned after %v, want about %v", elapsed, timeout)
	}
	if got := tc.outcomes(outcomeTimeout); got != 1 {
		t.Errorf("timeout outcomes = %d, want 1", got)
	}
}
