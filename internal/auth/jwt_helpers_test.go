package auth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/rs/zerolog"

	"github.com/vaultgate/vaultgate/internal/testkit"
)

const (
	testIssuer   = "https://issuer.test"
	testAudience = "vaultgate-test"
	testSubject  = "user-4711"
)

// idServer is an in-test identity provider: a JWKS at /jwks and an OIDC
// discovery document at /.well-known/openid-configuration.
type idServer struct {
	srv         *httptest.Server
	mu          sync.Mutex
	keys        []jose.JSONWebKey
	rawJWKS     []byte // served instead of keys when set
	docIssuer   string // "issuer" of the discovery document; srv.URL when empty
	docJWKSURI  string // "jwks_uri"; srv.URL+"/jwks" when empty
	status      atomic.Int32
	jwksFetches atomic.Int64
	discoveries atomic.Int64
}

func newIDServer(t testing.TB, keys []jose.JSONWebKey) *idServer {
	t.Helper()
	s := &idServer{keys: keys}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /jwks", s.serveJWKS)
	mux.HandleFunc("GET /.well-known/openid-configuration", s.serveDiscovery)
	mux.HandleFunc("GET /sub/.well-known/openid-configuration", s.serveDiscovery)
	s.srv = httptest.NewServer(mux)
	t.Cleanup(s.srv.Close)
	return s
}

func (s *idServer) url() string { return s.srv.URL + "/jwks" }

func (s *idServer) setKeys(keys []jose.JSONWebKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys = keys
}

func (s *idServer) setRaw(body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rawJWKS = body
}

// setDown makes every answer a 503 (down=true) or normal again.
func (s *idServer) setDown(down bool) {
	if down {
		s.status.Store(http.StatusServiceUnavailable)
	} else {
		s.status.Store(0)
	}
}

func (s *idServer) serveJWKS(w http.ResponseWriter, _ *http.Request) {
	s.jwksFetches.Add(1)
	if code := s.status.Load(); code != 0 {
		http.Error(w, "down", int(code))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if s.rawJWKS != nil {
		_, _ = w.Write(s.rawJWKS)
		return
	}
	_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: s.keys})
}

func (s *idServer) serveDiscovery(w http.ResponseWriter, r *http.Request) {
	s.discoveries.Add(1)
	if code := s.status.Load(); code != 0 {
		http.Error(w, "down", int(code))
		return
	}
	s.mu.Lock()
	issuer, jwksURI := s.docIssuer, s.docJWKSURI
	s.mu.Unlock()
	if issuer == "" {
		issuer = s.srv.URL + strings.TrimSuffix(r.URL.Path, "/.well-known/openid-configuration")
	}
	if jwksURI == "" {
		jwksURI = s.url()
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"issuer": issuer, "jwks_uri": jwksURI})
}

// client serves the identity provider in memory, without a socket: in a
// synctest bubble, a goroutine blocked on the network would keep the fake
// clock from advancing.
func (s *idServer) client() *http.Client {
	return &http.Client{Transport: handlerTransport{s.srv.Config.Handler}}
}

type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	w := httptest.NewRecorder()
	t.h.ServeHTTP(w, r)
	return w.Result(), nil
}

// inMemory makes a verifier fetch from srv without a socket.
func inMemory(srv *idServer) func(*JWT) {
	return func(v *JWT) { v.client = srv.client() }
}

// harness is a started verifier with its log.
type harness struct {
	v   *JWT
	log *testkit.Buffer
}

func jwksConfig(url string) JWTConfig {
	return JWTConfig{
		JWKSURL:    url,
		Issuer:     testIssuer,
		Audience:   testAudience,
		Algorithms: []string{"RS256", "ES256", "EdDSA"},
		ClockSkew:  30 * time.Second,

		RefreshInterval:    5 * time.Minute,
		UnknownKIDInterval: 30 * time.Second,
	}
}

func hmacConfig() JWTConfig {
	return JWTConfig{
		HS256Secret: []byte(testHMACSecret), Issuer: testIssuer, Audience: testAudience,
		Algorithms: []string{"HS256"}, ClockSkew: 30 * time.Second,
	}
}

// startJWT builds a verifier like NewJWT does, applies adjust (an in-memory
// client) before anything runs, and starts it until the test ends.
func startJWT(t testing.TB, cfg JWTConfig, adjust func(*JWT)) harness {
	t.Helper()
	buf := &testkit.Buffer{}
	v, err := newJWT(cfg, prometheus.NewRegistry(), zerolog.New(buf).Level(zerolog.DebugLevel))
	if err != nil {
		t.Fatalf("newJWT: %v", err)
	}
	if adjust != nil {
		adjust(v)
	}
	v.start(t.Context())
	return harness{v: v, log: buf}
}

func (h harness) fetches(trigger, result string) float64 {
	return testutil.ToFloat64(h.v.fetches.WithLabelValues(trigger, result))
}

// check verifies token without the verified-token cache.
func check(v *JWT, token string) (Identity, error) {
	ver, err := v.verify(context.Background(), token)
	return ver.id, err
}

// rawToken assembles a token from literal header and payload JSON and a
// signature segment, for tokens no honest signer would produce.
func rawToken(header, payload, sig string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(header)) + "." + enc([]byte(payload)) + "." + sig
}

// claimsAt returns valid claims for a token issued at now; edit mutates them.
func claimsAt(now time.Time, edit func(map[string]any)) map[string]any {
	c := map[string]any{
		"iss":   testIssuer,
		"aud":   testAudience,
		"sub":   testSubject,
		"iat":   now.Unix(),
		"exp":   now.Add(time.Hour).Unix(),
		"org":   map[string]any{"id": 9007199254740993},
		"email": "ada@example.test",
	}
	if edit != nil {
		edit(c)
	}
	return c
}

// reasonOf returns the Reason of an *Error, or "" for anything else.
func reasonOf(err error) string {
	var ae *Error
	if !errors.As(err, &ae) {
		return ""
	}
	return ae.Reason
}
