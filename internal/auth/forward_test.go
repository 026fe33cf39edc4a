package auth

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// fakeApp plays a Rails/Django app's "who am I" endpoint.
type fakeApp struct {
	calls   atomic.Int32
	mu      sync.Mutex
	seen    []http.Header
	handler func(w http.ResponseWriter, r *http.Request)
}

func (a *fakeApp) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.calls.Add(1)
	a.mu.Lock()
	a.seen = append(a.seen, r.Header.Clone())
	a.mu.Unlock()
	a.handler(w, r)
}

func sessionApp(w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie("_app_session")
	if err != nil || c.Value != "valid" {
		http.Error(w, `{"error":"not signed in"}`, http.StatusUnauthorized)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"id": 42, "email": "ada@acme.test", "account": {"id": 9001, "name": "Acme"}}`))
}

func newForwardFor(t *testing.T, h http.HandlerFunc, cfg ForwardConfig) (*Forward, *fakeApp) {
	t.Helper()
	app := &fakeApp{handler: h}
	srv := httptest.NewServer(app)
	t.Cleanup(srv.Close)
	cfg.URL = srv.URL + "/api/me"
	if cfg.Timeout == 0 {
		cfg.Timeout = time.Second
	}
	if cfg.MaxConcurrency == 0 {
		cfg.MaxConcurrency = 16
	}
	f, err := NewForward(cfg, prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	return f, app
}

func cookieRequest(value string) *http.Request {
	r := httptest.NewRequest("GET", "/connect", nil)
	r.Header.Set("Cookie", "_app_session="+value)
	r.Header.Set("X-Custom", "must-not-be-forwarded")
	r.Header.Set("X-Forwarded-For", "203.0.113.9")
	r.Header.Set("Accept-Language", "nl")
	return r
}

func TestForwardOutcomes(t *testing.T) {
	cases := []struct {
		name    string
		handler http.HandlerFunc
		cookie  string
		want    error
		reason  string
	}{
		{"valid session", sessionApp, "valid", nil, ""},
		{"expired session", sessionApp, "expired", ErrUnauthenticated, ReasonAppRefused},
		{"forbidden", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(403) }, "x", ErrUnauthenticated, ReasonAppRefused},
		{"app broken", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) }, "x", ErrUnavailable, ReasonUnavailable},
		{"redirect to login", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/login", http.StatusFound) }, "x", ErrUnavailable, ReasonUnavailable},
		{"html 200", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("<html>hi</html>")) }, "x", ErrUnavailable, ReasonUnavailable},
		{"json array", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(`[1]`)) }, "x", ErrUnavailable, ReasonUnavailable},
		{"huge body", func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(`{"a":"` + strings.Repeat("x", maxForwardBody) + `"}`))
		}, "x", ErrUnavailable, ReasonUnavailable},
		{"slow app", func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(2 * time.Second):
			}
		}, "x", ErrUnavailable, ReasonUnavailable},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, _ := newForwardFor(t, tc.handler, ForwardConfig{Timeout: 200 * time.Millisecond})
			id, err := f.Authenticate(cookieRequest(tc.cookie))
			if tc.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				if id.Subject != "42" {
					t.Errorf("subject = %q, want 42 (the app's id)", id.Subject)
				}
				if acct, _ := id.Claims["account"].(map[string]any); acct == nil || acct["id"] == nil {
					t.Errorf("nested claims lost: %v", id.Claims)
				}
				return
			}
			var ae *Error
			if !errors.Is(err, tc.want) || !errors.As(err, &ae) || ae.Reason != tc.reason {
				t.Fatalf("err = %v, want %v (%s)", err, tc.want, tc.reason)
			}
		})
	}
}

func TestForwardSendsOnlyCookieAndAuthorization(t *testing.T) {
	f, app := newForwardFor(t, sessionApp, ForwardConfig{})
	r := cookieRequest("valid")
	r.Header.Set("Authorization", "Bearer opaque")
	if _, err := f.Authenticate(r); err != nil {
		t.Fatal(err)
	}
	seen := app.seen[0]
	if seen.Get("Cookie") != "_app_session=valid" || seen.Get("Authorization") != "Bearer opaque" {
		t.Fatalf("credentials not forwarded: %v", seen)
	}
	allowed := map[string]bool{"Cookie": true, "Authorization": true, "User-Agent": true, "Accept-Encoding": true}
	for name := range seen {
		if !allowed[name] {
			t.Errorf("forwarded header %s", name)
		}
	}
}

func TestForwardWithoutCredentialsDoesNotCallTheApp(t *testing.T) {
	f, app := newForwardFor(t, sessionApp, ForwardConfig{})
	_, err := f.Authenticate(httptest.NewRequest("GET", "/connect", nil))
	var ae *Error
	if !errors.As(err, &ae) || ae.Reason != ReasonMissing || app.calls.Load() != 0 {
		t.Fatalf("err=%v calls=%d", err, app.calls.Load())
	}
}

func TestForwardCache(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		app := &fakeApp{handler: sessionApp}
		f, err := NewForward(ForwardConfig{URL: "http://app.test/api/me", Timeout: time.Second, CacheTTL: time.Minute, MaxConcurrency: 4}, prometheus.NewRegistry())
		if err != nil {
			t.Fatal(err)
		}
		// In memory: a socket would keep the bubble's clock from advancing.
		f.client.Transport = handlerTransport{app}
		for range 3 {
			if _, err := f.Authenticate(cookieRequest("valid")); err != nil {
				t.Fatal(err)
			}
		}
		if app.calls.Load() != 1 {
			t.Fatalf("calls = %d, want 1 (cached)", app.calls.Load())
		}
		if got := testutil.ToFloat64(f.results.WithLabelValues("cache_hit")); got != 2 {
			t.Fatalf("cache hits = %v", got)
		}
		// Refusals are cached for refusalTTL only, and another cookie is
		// another entry: a repeated bad cookie costs one lookup per period.
		for range 3 {
			if _, err := f.Authenticate(cookieRequest("expired")); !errors.Is(err, ErrUnauthenticated) {
				t.Fatalf("err = %v, want a refusal", err)
			}
		}
		if app.calls.Load() != 2 {
			t.Fatalf("calls = %d, want 2 (refusal cached)", app.calls.Load())
		}
		time.Sleep(refusalTTL)
		_, _ = f.Authenticate(cookieRequest("expired"))
		if app.calls.Load() != 3 {
			t.Fatalf("refusal served after refusalTTL: calls = %d", app.calls.Load())
		}
		time.Sleep(61 * time.Second)
		_, _ = f.Authenticate(cookieRequest("valid"))
		if app.calls.Load() != 4 {
			t.Fatalf("expired entry served: calls = %d", app.calls.Load())
		}
		for key := range f.cache.entries {
			if strings.Contains(key, "valid") || strings.Contains(key, "_app_session") {
				t.Fatalf("cache key holds the raw credential: %s", key)
			}
		}
	})
}

func TestForwardCoalescesConcurrentLookups(t *testing.T) {
	release := make(chan struct{})
	f, app := newForwardFor(t, func(w http.ResponseWriter, r *http.Request) {
		<-release
		sessionApp(w, r)
	}, ForwardConfig{})
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := f.Authenticate(cookieRequest("valid")); err != nil {
				t.Error(err)
			}
		}()
	}
	time.Sleep(100 * time.Millisecond)
	close(release)
	wg.Wait()
	if app.calls.Load() != 1 {
		t.Fatalf("calls = %d, want 1", app.calls.Load())
	}
}

func TestForwardAmbient(t *testing.T) {
	f, _ := newForwardFor(t, sessionApp, ForwardConfig{})
	if !f.Ambient(cookieRequest("x")) {
		t.Error("cookie credential must count as ambient")
	}
	r := httptest.NewRequest("GET", "/connect", nil)
	r.Header.Set("Authorization", "Bearer x")
	if f.Ambient(r) {
		t.Error("bearer-only credential is not ambient")
	}
	// Every Cookie line is passed on to the app, so every line counts.
	r.Header["Cookie"] = []string{"", "_app_session=valid"}
	if !f.Ambient(r) {
		t.Error("a cookie on the second Cookie line must count as ambient")
	}
}
