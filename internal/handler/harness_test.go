package handler

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/vaultgate/vaultgate/internal/auth"
	"github.com/vaultgate/vaultgate/internal/state"
	"github.com/vaultgate/vaultgate/internal/testkit"
	"github.com/vaultgate/vaultgate/internal/upstream"
)

// Values no log line and no problem body may ever contain.
const (
	testToken        = "eyJhbGciOiJIUzI1NiJ9.user-jwt-do-not-log.sig"
	testSessionToken = "vault-session-token-do-not-log"
	testSessionURI   = "https://vault.apideck.com/session/" + testSessionToken
	testEmail        = "ann@example.com"
)

// testCreatedAt is when the fake sessions were created.
func testCreatedAt() time.Time { return time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC) }

// fakeAuth authenticates "Authorization: Bearer <testToken>" unless its
// function fields say otherwise.
type fakeAuth struct {
	authenticate func(r *http.Request) (auth.Identity, error)
	ambient      func(r *http.Request) bool
}

func (f *fakeAuth) Authenticate(r *http.Request) (auth.Identity, error) {
	if f.authenticate != nil {
		return f.authenticate(r)
	}
	if r.Header.Get("Authorization") != "Bearer "+testToken {
		return auth.Identity{}, &auth.Error{Class: auth.ErrUnauthenticated, Reason: auth.ReasonMissing}
	}
	return testIdentity(), nil
}

func (f *fakeAuth) Ambient(r *http.Request) bool {
	if f.ambient != nil {
		return f.ambient(r)
	}
	return false
}

func testIdentity() auth.Identity {
	return auth.Identity{Subject: "user-1", Claims: map[string]any{
		"sub": "user-1", "org_id": "42", "org_name": "Acme Corp", "name": "Ann", "email": testEmail,
	}}
}

// fakeSessions records every request and answers with a fixed session
// unless create says otherwise.
type fakeSessions struct {
	create func(ctx context.Context, subject, consumerID string, req upstream.SessionRequest) (upstream.Session, upstream.Result, error)

	mu    sync.Mutex
	calls []sessionCall
}

type sessionCall struct {
	Subject, ConsumerID string
	Req                 upstream.SessionRequest
}

func (f *fakeSessions) Create(ctx context.Context, subject, consumerID string, req upstream.SessionRequest) (upstream.Session, upstream.Result, error) {
	f.mu.Lock()
	f.calls = append(f.calls, sessionCall{subject, consumerID, req})
	f.mu.Unlock()
	if f.create != nil {
		return f.create(ctx, subject, consumerID, req)
	}
	return upstream.Session{URI: testSessionURI, Token: testSessionToken, CreatedAt: testCreatedAt()},
		upstream.Result{Status: http.StatusOK, Attempts: 1, Duration: 42 * time.Millisecond}, nil
}

func (f *fakeSessions) Calls() []sessionCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]sessionCall(nil), f.calls...)
}

// fakeConns records every call and answers through its function fields,
// else with no connections.
type fakeConns struct {
	list   func(ctx context.Context, consumerID, api string) ([]upstream.Connection, upstream.Result, error)
	get    func(ctx context.Context, consumerID, api, service string) (upstream.Connection, upstream.Result, error)
	delete func(ctx context.Context, consumerID, api, service string) (upstream.Result, error)

	mu    sync.Mutex
	calls []string // "list org_42 crm", "get org_42 crm salesforce", …
}

func (f *fakeConns) record(parts ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, strings.Join(parts, " "))
}

func (f *fakeConns) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func (f *fakeConns) ListConnections(ctx context.Context, consumerID, api string) ([]upstream.Connection, upstream.Result, error) {
	f.record("list", consumerID, api)
	if f.list != nil {
		return f.list(ctx, consumerID, api)
	}
	return nil, upstream.Result{Status: http.StatusOK}, nil
}

func (f *fakeConns) GetConnection(ctx context.Context, consumerID, api, service string) (upstream.Connection, upstream.Result, error) {
	f.record("get", consumerID, api, service)
	if f.get != nil {
		return f.get(ctx, consumerID, api, service)
	}
	return upstream.Connection{UnifiedAPI: api, ServiceID: service}, upstream.Result{Status: http.StatusOK}, nil
}

func (f *fakeConns) DeleteConnection(ctx context.Context, consumerID, api, service string) (upstream.Result, error) {
	f.record("delete", consumerID, api, service)
	if f.delete != nil {
		return f.delete(ctx, consumerID, api, service)
	}
	return upstream.Result{Status: http.StatusNoContent}, nil
}

// fakeLimiter answers through allow and records the keys it was asked for.
type fakeLimiter struct {
	allow func(key string) (state.Decision, error)

	mu   sync.Mutex
	keys []string
}

func (f *fakeLimiter) Allow(_ context.Context, key string) (state.Decision, error) {
	f.mu.Lock()
	f.keys = append(f.keys, key)
	f.mu.Unlock()
	return f.allow(key)
}

func (f *fakeLimiter) Keys() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.keys...)
}

// env is a public router over fakes; tests adjust the fields before the
// first do, which builds the router.
type env struct {
	deps     Deps
	auth     *fakeAuth
	sessions *fakeSessions
	conns    *fakeConns
	logs     *testkit.Buffer
	reg      *prometheus.Registry
	handler  http.Handler
}

func newEnv(t *testing.T) *env {
	t.Helper()
	logs := &testkit.Buffer{}
	reg := prometheus.NewRegistry()
	e := &env{auth: &fakeAuth{}, sessions: &fakeSessions{}, conns: &fakeConns{}, logs: logs, reg: reg}
	e.deps = Deps{
		Log:        zerolog.New(logs).Level(zerolog.DebugLevel),
		Registerer: reg,
		Auth:       e.auth,
		Sessions:   e.sessions,
		Conns:      e.conns,
		Connect:    testConnectConfig(t),
	}
	return e
}

func testConnectConfig(t testing.TB) ConnectConfig {
	t.Helper()
	allow, err := NewAllowlist([]string{"https://app.example.com/settings/", "https://app.example.com/done"})
	if err != nil {
		t.Fatal(err)
	}
	yes := true
	return ConnectConfig{
		Mapping: auth.Mapping{
			IDClaim: "org_id", IDPrefix: "org_", AccountNameClaim: "org_name",
			UserNameClaim: "name", EmailClaim: "email", ImageClaim: "picture",
			BaseSettings: map[string]any{"plan": "pro"},
		},
		Redirects:          allow,
		DefaultRedirectURI: "https://app.example.com/done",
		UnifiedAPIs:        []string{"crm", "accounting", "hris"},
		Settings:           upstream.Settings{SandboxMode: &yes, AllowActions: []string{}, SessionLength: "30m"},
		Theme:              &upstream.Theme{PrimaryColor: "#286efa", VaultName: "Acme"},
		SessionLength:      30 * time.Minute,
		VaultOrigin:        "https://vault.apideck.com",
		CORSOrigins:        []string{"https://app.example.com"},
	}
}

// do serves r through the env's public router, built on first use.
func (e *env) do(t *testing.T, r *http.Request) *httptest.ResponseRecorder {
	t.Helper()
	if e.handler == nil {
		e.handler = NewPublic(e.deps)
	}
	w := httptest.NewRecorder()
	e.handler.ServeHTTP(w, r)
	return w
}

// request builds a request with headers given as name, value pairs.
func request(method, target, body string, headers ...string) *http.Request {
	var r *http.Request
	if body == "" {
		r = httptest.NewRequest(method, target, nil)
	} else {
		r = httptest.NewRequest(method, target, strings.NewReader(body))
	}
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Add(headers[i], headers[i+1])
	}
	return r
}

// authed builds a request carrying the test bearer token.
func authed(method, target, body string, headers ...string) *http.Request {
	return request(method, target, body, append([]string{"Authorization", "Bearer " + testToken}, headers...)...)
}

func sessionAt(created time.Time) upstream.Session {
	return upstream.Session{URI: testSessionURI, Token: testSessionToken, CreatedAt: created}
}

// decodeConnect decodes a JSON success body strictly.
func decodeConnect(t *testing.T, w *httptest.ResponseRecorder) connectResponse {
	t.Helper()
	var c connectResponse
	dec := json.NewDecoder(w.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("connect body: %v", err)
	}
	return c
}

// counter reads the counter series name{labels} (given as name, value
// pairs) from the env's registry; 0 when it does not exist.
func (e *env) counter(t *testing.T, name string, labels ...string) float64 {
	t.Helper()
	return counterIn(t, e.reg, name, labels...)
}

func counterIn(t *testing.T, g prometheus.Gatherer, name string, labels ...string) float64 {
	t.Helper()
	families, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for i := 0; i+1 < len(labels); i += 2 {
		want[labels[i]] = labels[i+1]
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			got := map[string]string{}
			for _, l := range m.GetLabel() {
				got[l.GetName()] = l.GetValue()
			}
			if maps.Equal(got, want) {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

func httptestRecorder() *httptest.ResponseRecorder { return httptest.NewRecorder() }
