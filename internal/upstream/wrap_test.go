package upstream

import (
	"net/http"
	"sync/atomic"
	"testing"
)

// countingTransport counts the round trips that pass through it and marks
// each request, so the server can tell they went through the wrapper.
type countingTransport struct {
	base  http.RoundTripper
	trips *atomic.Int32
}

func (c countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.trips.Add(1)
	r = r.Clone(r.Context())
	r.Header.Set("X-Wrapped", "yes")
	return c.base.RoundTrip(r)
}

func TestWrapTransportCarriesEveryAttempt(t *testing.T) {
	t.Parallel()
	var calls, wrapped atomic.Int32
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Wrapped") == "yes" {
			wrapped.Add(1)
		}
		// The first attempt fails with a retryable status, so the retry
		// must go through the wrapper too.
		if calls.Add(1) == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		okHandler(w, r)
	})
	var wraps, trips atomic.Int32
	tc := newTestClient(t, srv, func(c *Config) {
		c.WrapTransport = func(base http.RoundTripper) http.RoundTripper {
			wraps.Add(1)
			if _, ok := base.(*http.Transport); !ok {
				t.Errorf("wrapped transport is %T, want the client's own *http.Transport", base)
			}
			return countingTransport{base: base, trips: &trips}
		}
	})
	if _, _, err := tc.create(t.Context()); err != nil {
		t.Fatalf("create: %v", err)
	}
	if _, _, err := tc.create(t.Context()); err != nil {
		t.Fatalf("second create: %v", err)
	}
	if got := wraps.Load(); got != 1 {
		t.Errorf("WrapTransport called %d times, want once (in New)", got)
	}
	if got, want := trips.Load(), int32(3); got != want {
		t.Errorf("%d round trips through the wrapper, want %d (failed attempt, retry, second call)", got, want)
	}
	if got := wrapped.Load(); got != calls.Load() {
		t.Errorf("%d of %d requests reached the server through the wrapper", got, calls.Load())
	}
}

func TestNoWrapTransportKeepsPlainTransport(t *testing.T) {
	t.Parallel()
	srv := newServer(t, okHandler)
	tc := newTestClient(t, srv, nil)
	if _, ok := tc.http.Transport.(*http.Transport); !ok {
		t.Errorf("transport is %T, want *http.Transport when nothing wraps it", tc.http.Transport)
	}
}
