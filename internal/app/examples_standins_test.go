package app

import (
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/vaultgate/vaultgate/internal/testkit"
)

// exampleOIDC is a loopback OpenID provider: a discovery document and a
// JWKS with one RSA key, kid "rsa-1", at the paths Auth0 uses.
type exampleOIDC struct {
	issuer string // base URL + "/", as Auth0 spells its issuers
	key    *rsa.PrivateKey
}

func newExampleOIDC(t *testing.T) *exampleOIDC {
	t.Helper()
	keys := testkit.NewKeys(t)
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	p := &exampleOIDC{issuer: base + "/", key: keys.RSA}
	doc, err := json.Marshal(map[string]any{
		"issuer":                                p.issuer,
		"jwks_uri":                              base + "/.well-known/jwks.json",
		"id_token_signing_alg_values_supported": []string{"RS256"},
	})
	if err != nil {
		t.Fatal(err)
	}
	jwks, err := json.Marshal(jose.JSONWebKeySet{Keys: keys.JWKS()[:1]})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	serveJSON := func(b []byte) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(b)
		}
	}
	mux.Handle("GET /.well-known/openid-configuration", serveJSON(doc))
	mux.Handle("GET /.well-known/jwks.json", serveJSON(jwks))
	srv.Config.Handler = mux
	srv.Start()
	t.Cleanup(srv.Close)
	return p
}

// exampleAppSession is the one session cookie value the stand-in app knows.
const exampleAppSession = "valid-5e8d1c7a2b"

// exampleMeEndpoint stands in for a Rails app's GET /api/me: the signed-in user
// for a valid _app_session cookie, 401 otherwise.
type exampleMeEndpoint struct {
	srv   *httptest.Server
	calls atomic.Int64
	mu    sync.Mutex
	last  http.Header
}

func newExampleMeEndpoint(t *testing.T) *exampleMeEndpoint {
	t.Helper()
	e := &exampleMeEndpoint{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/me", func(w http.ResponseWriter, r *http.Request) {
		e.calls.Add(1)
		e.mu.Lock()
		e.last = r.Header.Clone()
		e.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if c, err := r.Cookie("_app_session"); err != nil || c.Value != exampleAppSession {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"error":"You need to sign in or sign up before continuing."}`))
			return
		}
		_, _ = w.Write([]byte(`{"id": 7, "name": "Ada", "email": "ada@acme.example", "account": {"id": 42, "name": "Acme"}}`))
	})
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	return e
}

func (e *exampleMeEndpoint) lastHeader() http.Header {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.last.Clone()
}

func (e *exampleMeEndpoint) wantCalls(t *testing.T, n int64) {
	t.Helper()
	if got := e.calls.Load(); got != n {
		t.Errorf("the app was asked %d times, want %d", got, n)
	}
}
