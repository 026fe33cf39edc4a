// Package simulator is an in-process stand-in for Apideck's Vault session
// API: POST /vault/sessions with Apideck's validation and error shapes, the
// simulated Vault pages a session URI leads to, and injectable faults. Tests,
// benchmarks and the demo mode use it instead of the real service, so it must
// work offline.
package simulator

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Config configures a Simulator.
type Config struct {
	APIKey string // expected bearer key
	AppID  string // expected x-apideck-app-id
	// VaultOrigin is scheme://host[:port] put in session URIs, usually the
	// simulator's own server URL. Empty uses the Host of each request.
	VaultOrigin string
}

// Recorded is a copy of one POST /vault/sessions request, for assertions.
type Recorded struct {
	Header http.Header
	Body   []byte
}

// Simulator serves Apideck's Vault session endpoint and simulated Vault
// pages. All methods are safe for concurrent use.
type Simulator struct {
	apiKey string
	appID  string
	key    *ecdsa.PrivateKey
	pages  *template.Template
	mux    *http.ServeMux

	mu      sync.Mutex
	origin  string
	calls   int
	last    Recorded
	queue   []int
	latency time.Duration
	fault   Fault
	// release is closed by Reset so that requests held by FaultHang or a
	// long latency never outlive a test that forgot to cancel them.
	release chan struct{}
}

// New returns a Simulator with a freshly generated ES256 key for signing
// session tokens.
func New(cfg Config) (*Simulator, error) {
	var errs []error
	if cfg.APIKey == "" {
		errs = append(errs, errors.New("APIKey is required"))
	}
	if cfg.AppID == "" {
		errs = append(errs, errors.New("AppID is required"))
	}
	if cfg.VaultOrigin != "" {
		if err := checkOrigin(cfg.VaultOrigin); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("simulator: %w", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("simulator: generate signing key: %w", err)
	}
	pages, err := parsePages()
	if err != nil {
		return nil, fmt.Errorf("simulator: %w", err)
	}
	s := &Simulator{
		apiKey:  cfg.APIKey,
		appID:   cfg.AppID,
		key:     key,
		pages:   pages,
		origin:  strings.TrimSuffix(cfg.VaultOrigin, "/"),
		release: make(chan struct{}),
	}
	s.mux = s.routes()
	return s, nil
}

// routes lists every path the simulator answers.
func (s *Simulator) routes() *http.ServeMux {
	mux := http.NewServeMux()
	// Method checks are done in the handler so a wrong method gets 405 in
	// Apideck's error shape rather than the mux's plain text.
	mux.HandleFunc("/vault/sessions", s.handleSessions)
	mux.HandleFunc("GET /session/{token}", s.handleSessionPage)
	mux.HandleFunc("GET /integrations/{unified_api}/{service_id}", s.handleIntegrationPage)
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		writeAPIError(w, &apiError{status: http.StatusNotFound, detail: "Unknown resource"})
	})
	return mux
}

// ServeHTTP implements http.Handler.
func (s *Simulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mux.ServeHTTP(w, r)
}

// SetVaultOrigin sets the origin put in session URIs, so a test can start
// httptest.NewServer(sim) and then point URIs at that server.
func (s *Simulator) SetVaultOrigin(origin string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.origin = strings.TrimSuffix(origin, "/")
}

// Calls reports how many POST /vault/sessions requests were received,
// including rejected ones and ones answered by a fault.
func (s *Simulator) Calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

// LastRequest returns a copy of the last POST /vault/sessions request, or
// the zero Recorded when there was none.
func (s *Simulator) LastRequest() Recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Recorded{Header: s.last.Header.Clone(), Body: cloneBytes(s.last.Body)}
}

// Reset forgets calls, the last request, queued statuses, latency and the
// fault, and releases requests still held by FaultHang or latency. The
// signing key and vault origin are kept, so issued tokens stay valid.
func (s *Simulator) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = 0
	s.last = Recorded{}
	s.queue = nil
	s.latency = 0
	s.fault = FaultNone
	close(s.release)
	s.release = make(chan struct{})
}

func checkOrigin(origin string) error {
	u, err := url.Parse(origin)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		strings.TrimSuffix(u.Path, "/") != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return errors.New("VaultOrigin must be scheme://host[:port]")
	}
	return nil
}

func cloneBytes(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte(nil), b...)
}
