package upstream

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"time"
)

// hijack takes over the connection and writes raw, then closes it.
func hijack(t *testing.T, w http.ResponseWriter, raw string) {
	t.Helper()
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		t.Errorf("hijack: %v", err)
		return
	}
	_, _ = buf.WriteString(raw)
	_ = buf.Flush()
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0) // send a reset, not a polite close
	}
	_ = conn.Close()
}

func TestCreateSessionConnectionResetMidBody(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	srv := newServer(t, func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		hijack(t, w, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{\"data\":{\"session_uri\":")
	})
	tc := newTestClient(t, srv, nil)
	_, res, err := tc.create(t.Context())
	if e := asError(t, err); e.Kind != KindUnavailable {
		t.Errorf("kind %v, want unavailable", e.Kind)
	}
	if res.Attempts != 3 || hits.Load() != 3 {
		t.Errorf("%d attempts, %d hits; want a truncated answer retried to 3", res.Attempts, hits.Load())
	}
	if got := tc.outcomes(outcomeNetworkError); got != 3 {
		t.Errorf("network_error outcomes = %d, want 3", got)
	}
}

func TestCreateSessionConnectionClosedBeforeAnswer(t *testing.T) {
	t.Parallel()
	srv := newServer(t, func(w http.ResponseWriter, _ *http.Request) { hijack(t, w, "") })
	tc := newTestClient(t, srv, nil)
	_, res, err := tc.create(t.Context())
	e := asError(t, err)
	if e.Kind != KindUnavailable || e.Status != 0 || res.Attempts != 3 {
		t.Errorf("kind %v status %d attempts %d, want unavailable, no status, 3 attempts", e.Kind, e.Status, res.Attempts)
	}
	if strings.Contains(err.Error(), srv.URL) {
		t.Errorf("error %q names the upstream URL", err)
	}
}

func TestCreateSessionTricklingBodyHitsDeadline(t *testing.T) {
	t.Parallel()
	stop := make(chan struct{})
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(200)
		rc := http.NewResponseController(w)
		for {
			if _, err := w.Write([]byte(" ")); err != nil {
				return
			}
			_ = rc.Flush()
			select {
			case <-time.After(20 * time.Millisecond):
			case <-r.Context().Done():
				return
			case <-stop:
				return
			}
		}
	})
	t.Cleanup(func() { close(stop) })
	timeout := 300 * time.Millisecond
	tc := newTestClient(t, srv, func(c *Config) { c.Timeout = timeout })
	_, res, err := tc.create(t.Context())
	if e := asError(t, err); e.Kind != KindTimeout || e.Status != 200 {
		t.Errorf("kind %v status %d, want timeout with status 200", e.Kind, e.Status)
	}
	if res.Attempts != 1 || res.Duration > timeout+3*time.Second { // the body never ends by itself
		t.Errorf("result %+v, want 1 attempt ending near %v", res, timeout)
	}
}

func TestCreateSessionBodyOverLimit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		handler http.HandlerFunc
	}{
		{"just over 1 MiB", func(w http.ResponseWriter, _ *http.Request) {
			_, _ = w.Write(bytes.Repeat([]byte("a"), maxBodyBytes+1))
		}},
		{"valid JSON padded past 1 MiB", func(w http.ResponseWriter, _ *http.Request) {
			b := sessionBody(testURI, testToken)
			_, _ = w.Write(append(b[:len(b)-1], []byte(`,"pad":"`+strings.Repeat("x", maxBodyBytes)+`"}`)...))
		}},
		// An endless body must end in invalid_response, not a deadline:
		// it is never read to the end.
		{"endless", func(w http.ResponseWriter, r *http.Request) {
			chunk := bytes.Repeat([]byte("a"), 64<<10)
			for r.Context().Err() == nil {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, tt.handler)
			tc := newTestClient(t, srv, func(c *Config) { c.Timeout = 5 * time.Second })
			_, res, err := tc.create(t.Context())
			if e := asError(t, err); e.Kind != KindInvalidResponse || !errors.Is(err, errBodyTooLarge) {
				t.Errorf("error %v, want invalid_response for a body over the limit", err)
			}
			if res.Attempts != 1 {
				t.Errorf("%d attempts, want 1", res.Attempts)
			}
		})
	}
}

func TestCreateSessionCallerGoesAway(t *testing.T) {
	t.Parallel()
	srv := newHangingServer(t)
	tc := newTestClient(t, srv, func(c *Config) { c.BreakerFailures = 2 })
	for range 3 {
		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		_, _, err := tc.create(ctx)
		cancel()
		if e := asError(t, err); e.Kind != KindTimeout || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("error %v, want timeout wrapping the caller's context error", err)
		}
	}
	// Callers giving up say nothing about Apideck.
	if s := tc.breaker.cb.State().String(); s != "closed" {
		t.Errorf("circuit %s after callers went away, want closed", s)
	}
	if got := tc.outcomes(outcomeCanceled); got != 3 {
		t.Errorf("canceled outcomes = %d, want 3", got)
	}

	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(50*time.Millisecond, cancel)
	if _, _, err := tc.create(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want one wrapping context.Canceled", err)
	}
}

func TestCreateSessionReusesConnections(t *testing.T) {
	t.Parallel()
	srv := newUnstartedServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("x-apideck-consumer-id") == "unknown" {
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"type_name":"NotFoundError","message":"no such consumer"}`))
			return
		}
		okHandler(w, r)
	})
	var conns atomic.Int32
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	tc := newTestClient(t, srv, nil)
	for i := range 25 {
		if _, _, err := tc.create(t.Context()); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	// Error answers are read to the end too, so they keep the connection.
	for range 5 {
		if _, _, err := tc.CreateSession(t.Context(), "unknown", []byte(`{}`)); asError(t, err).Kind != KindRejected {
			t.Fatalf("error %v, want rejected", err)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections for sequential calls, want 1", n)
	}
}

func TestReadBody(t *testing.T) {
	big := strings.Repeat("x", maxBodyBytes+1)
	// What net/http's body reader reports when a declared length is not met.
	short := io.MultiReader(strings.NewReader(`{"a"`), iotest.ErrReader(io.ErrUnexpectedEOF))
	tests := []struct {
		name         string
		body         io.Reader
		want         string
		wantTooLarge bool
		wantErr      error
	}{
		{"whole", strings.NewReader(`{"a":1}`), `{"a":1}`, false, nil},
		{"empty", strings.NewReader(``), ``, false, nil},
		{"body ends early", short, `{"a"`, false, io.ErrUnexpectedEOF},
		{"at the limit", strings.NewReader(big[1:]), big[1:], false, nil},
		{"over the limit", strings.NewReader(big), ``, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, tooLarge, err := readBody(tt.body, -1, maxBodyBytes)
			if !errors.Is(err, tt.wantErr) || (err != nil) != (tt.wantErr != nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if tooLarge != tt.wantTooLarge || string(got) != tt.want {
				t.Errorf("got %q (tooLarge %v), want %q (tooLarge %v)", got, tooLarge, tt.want, tt.wantTooLarge)
			}
		})
	}
}

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

// With the length announced, a body that fits is read whole, and one that
// ends early is an error; a too-long announcement falls back to the limit.
func TestReadBodyAnnouncedLength(t *testing.T) {
	t.Parallel()
	if got, tooLarge, err := readBody(strings.NewReader(`{"a":1}`), 7, maxBodyBytes); err != nil || tooLarge || string(got) != `{"a":1}` {
		t.Errorf("announced 7: got %q, %v, %v", got, tooLarge, err)
	}
	if _, _, err := readBody(strings.NewReader(`{"a"`), 7, maxBodyBytes); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("short body: err = %v, want unexpected EOF", err)
	}
	big := strings.Repeat("x", maxBodyBytes+1)
	if _, tooLarge, _ := readBody(strings.NewReader(big), int64(len(big)), maxBodyBytes); !tooLarge {
		t.Error("an announced body over the limit was not refused")
	}
}
