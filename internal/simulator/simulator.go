// Package simulator is an in-process stand-in for Apideck's Vault API:
// POST /vault/sessions and the connection endpoints with Apideck's
// validation and error shapes, a catalogue of connectors with each
// consumer's connections, the simulated Vault pages a session URI leads to
// (where a user connects and disconnects them), signed webhooks for what
// happens there, the OAuth callback, and injectable faults. Tests,
// benchmarks and the demo mode use it instead of the real service, so it
// must work offline.
package simulator

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"fmt"
	"html/template"
	"log"
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
	// WebhookURL, when set, receives Apideck-signed Vault connection
	// events for what happens on the Vault page.
	WebhookURL string
	// WebhookEncoding is the signature's encoding: "hex" (default) or "base64".
	WebhookEncoding string
	// ErrorLog receives failed webhook deliveries; nil discards them.
	ErrorLog *log.Logger
}

// Recorded is a copy of one POST /vault/sessions request, for assertions.
type Recorded struct {
	Header http.Header
	Body   []byte
}

// Simulator serves Apideck's Vault endpoints and simulated Vault pages.
// All methods are safe for concurrent use.
type Simulator struct {
	apiKey string
	appID  string
	key    *ecdsa.PrivateKey
	pages  *template.Template
	mux    *http.ServeMux
	store  store
	hooks  *webhooks

	mu         sync.Mutex
	origin     string
	calls      map[Route]int
	last       Recorded
	injections []Injection
	latency    time.Duration
	fault      Fault
	callbacks  []string
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
	if err := checkWebhookConfig(cfg.WebhookURL, cfg.WebhookEncoding); err != nil {
		errs = append(errs, err)
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
		store:   store{consumers: map[consumerKey]*consumerLinks{}},
		hooks:   newWebhooks(cfg.APIKey, cfg.WebhookURL, cfg.WebhookEncoding, cfg.ErrorLog),
		origin:  strings.TrimSuffix(cfg.VaultOrigin, "/"),
		calls:   map[Route]int{},
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
	mux.HandleFunc("/vault/connections", s.handleConnections)
	mux.HandleFunc("/vault/connections/{unified_api}/{service_id}", s.handleConnection)
	mux.HandleFunc("/vault/callback", s.handleCallback)
	mux.HandleFunc("GET /session/{token}", s.handleSessionPage)
	mux.HandleFunc("POST /session/{token}", s.handleSessionAction)
	mux.HandleFunc("GET /integrations/{unified_api}/{service_id}", s.handleIntegrationPage)
	mux.HandleFunc("POST /integrations/{unified_api}/{service_id}", s.handleIntegrationAction)
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
	return s.calls[RouteCreateSession]
}

// CallsTo reports how many calls of r were received, including rejected
// ones and ones answered by an injection; RouteAny counts them all.
func (s *Simulator) CallsTo(r Route) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r != RouteAny {
		return s.calls[r]
	}
	n := 0
	for _, c := range s.calls {
		n += c
	}
	return n
}

// LastRequest returns a copy of the last POST /vault/sessions request, or
// the zero Recorded when there was none.
func (s *Simulator) LastRequest() Recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Recorded{Header: s.last.Header.Clone(), Body: cloneBytes(s.last.Body)}
}

// Reset forgets calls, the last request, injections and queued statuses,
// latency, the fault and recorded callbacks, and releases requests still
// held by a hang or latency. The signing key, vault origin, webhook URL and
// consumers' connections are kept, so issued tokens stay valid.
func (s *Simulator) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = map[Route]int{}
	s.last = Recorded{}
	s.injections = nil
	s.callbacks = nil
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
