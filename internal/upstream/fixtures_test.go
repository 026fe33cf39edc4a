package upstream

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/rs/zerolog"

	"github.com/vaultgate/vaultgate/internal/testkit"
)

const (
	testKey      = "sk_live_TESTKEY_do_not_log_0123456789"
	testAppID    = "app_test_42"
	testConsumer = "org_42"
	testOrigin   = "https://vault.example.test"
	testToken    = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJvcmdfNDIifQ.c2lnbmF0dXJl"
	testURI      = testOrigin + "/session/" + testToken
)

// newServer starts a loopback server running h, closed at cleanup.
func newServer(t testing.TB, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// newUnstartedServer is newServer for tests that configure the server
// before starting it.
func newUnstartedServer(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// testConfig is a fast configuration pointing at baseURL.
func testConfig(baseURL string) Config {
	return Config{
		BaseURL:         baseURL,
		APIKey:          testKey,
		AppID:           testAppID,
		Timeout:         2 * time.Second,
		MaxRetries:      2,
		MaxConcurrency:  8,
		BreakerFailures: 100,
		BreakerCooldown: time.Second,
		VaultOrigin:     testOrigin,
	}
}

// testClient bundles a client with what tests inspect.
type testClient struct {
	*Client
	logs *testkit.Buffer
}

// newTestClient builds a client for srv with millisecond backoff; mutate
// may adjust the config first.
func newTestClient(t *testing.T, srv *httptest.Server, mutate func(*Config)) testClient {
	t.Helper()
	cfg := testConfig(srv.URL)
	if mutate != nil {
		mutate(&cfg)
	}
	logs := &testkit.Buffer{}
	c, err := New(cfg, prometheus.NewRegistry(), zerolog.New(logs).Level(zerolog.DebugLevel))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	c.backoffBase = time.Millisecond
	t.Cleanup(c.Close)
	return testClient{Client: c, logs: logs}
}

// outcomes reads vaultgate_upstream_requests_total for one outcome of
// create_session.
func (tc testClient) outcomes(outcome string) int {
	return int(testutil.ToFloat64(tc.m.requests.WithLabelValues(opCreateSession, outcome)))
}

// create calls CreateSession with a minimal request.
func (tc testClient) create(ctx context.Context) (Session, Result, error) {
	return tc.CreateSession(ctx, testConsumer, []byte(`{"redirect_uri":"https://app.example.test/done"}`))
}

// sessionBody is Apideck's 200 answer.
func sessionBody(uri, token string) []byte {
	b, _ := json.Marshal(map[string]any{
		"status_code": 200, "status": "OK",
		"data": map[string]any{"session_uri": uri, "session_token": token},
	})
	return b
}

// okHandler answers every request with a valid session.
func okHandler(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(sessionBody(testURI, testToken))
}

// hang blocks until the request ends or stop is closed. It reads the body
// first: only then does net/http watch the connection and end r.Context()
// when the client hangs up.
func hang(stop <-chan struct{}, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	select {
	case <-r.Context().Done():
	case <-stop:
	}
}

// newHangingServer starts a server whose handler never answers; it is
// released at cleanup before the server closes.
func newHangingServer(t *testing.T) *httptest.Server {
	t.Helper()
	stop := make(chan struct{})
	srv := newServer(t, func(_ http.ResponseWriter, r *http.Request) { hang(stop, r) })
	t.Cleanup(func() { close(stop) }) // runs before srv.Close
	return srv
}

// asError unwraps err to *Error or fails the test.
func asError(t *testing.T, err error) *Error {
	t.Helper()
	var ue *Error
	if !errors.As(err, &ue) {
		t.Fatalf("error %v (%T) is not *upstream.Error", err, err)
	}
	return ue
}
