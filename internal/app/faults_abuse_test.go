package app

import (
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vaultgate/vaultgate/internal/demo"
)

// slowApp is the app's "who am I" endpoint answering after delay: the
// session "legit" is Ada of org acme, anything else is signed out. It
// stops when vaultgate hangs up, so its own goroutines stay with
// vaultgate's connections to it.
func slowApp(t *testing.T, delay time.Duration) (*httptest.Server, *atomic.Int64) {
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		select {
		case <-r.Context().Done():
			return
		case <-time.After(delay):
		}
		if c, err := r.Cookie("_app_session"); err == nil && c.Value == "legit" {
			_, _ = io.WriteString(w, `{"sub":"ada","org_id":"acme"}`)
			return
		}
		w.WriteHeader(http.StatusUnauthorized)
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

// TestForwardFloodStaysBounded: clients send made-up session cookies and
// hang up at once, against an app answering in 2.9 s. Without bounds every
// request left a lookup, a goroutine and a socket behind for 2.9 s (19.5k
// goroutines, 600 MB, then "too many open files"). Lookups must stay within
// AUTH_FORWARD_MAX_CONCURRENCY, connections within HTTP_MAX_CONNECTIONS, and
// a signed-in user must still get a session meanwhile.
func TestForwardFloodStaysBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("floods for seconds")
	}
	const (
		bound    = 8  // AUTH_FORWARD_MAX_CONCURRENCY
		maxConns = 32 // HTTP_MAX_CONNECTIONS
		workers  = 32 // flood connections at once
		flood    = 2 * time.Second
	)
	app, calls := slowApp(t, 2900*time.Millisecond)
	s := startStack(t, map[string]string{
		"AUTH_MODE": "forward", "AUTH_FORWARD_URL": app.URL + "/api/me", "AUTH_FORWARD_TIMEOUT": "5s",
		"AUTH_FORWARD_MAX_CONCURRENCY": strconv.Itoa(bound), "HTTP_MAX_CONNECTIONS": strconv.Itoa(maxConns),
		"CONSUMER_ID_CLAIM": "org_id",
	}, logTo(io.Discard))
	addr := s.public[len("http://"):]
	baseline := stableGoroutines()

	var peak atomic.Int64
	stop := make(chan struct{})
	var sampler sync.WaitGroup
	sampler.Go(func() {
		for {
			peak.Store(max(peak.Load(), int64(runtime.NumGoroutine())))
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	})
	var sent atomic.Int64
	deadline := time.Now().Add(flood)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				c, err := net.DialTimeout("tcp", addr, time.Second)
				if err != nil {
					continue
				}
				fmt.Fprintf(c, "GET /connect HTTP/1.1\r\nHost: %s\r\nAccept: application/json\r\nCookie: _app_session=%s\r\n\r\n", addr, rand.Text())
				c.Close()
				sent.Add(1)
			}
		})
	}
	time.Sleep(flood / 4)
	legit := sendConnect(&http.Client{Timeout: 15 * time.Second}, s.public+"/connect",
		http.Header{"Cookie": {"_app_session=legit"}, "Accept": {"application/json"}}, "")
	wg.Wait()
	close(stop)
	sampler.Wait()

	// The flood's own goroutines (its workers), the server's for each open
	// connection (serving it, watching it for a hang-up), and per lookup:
	// its goroutine, the transport's two per connection and the app's two.
	limit := baseline + workers + 2*maxConns + 5*bound + goroutineSlack
	t.Logf("flood: %d requests in %v; app lookups %d; goroutines baseline %d, peak %d (limit %d); signed-in user: %d after %v",
		sent.Load(), flood, calls.Load(), baseline, peak.Load(), limit, legit.status, legit.elapsed.Round(time.Millisecond))
	if legit.status != http.StatusOK {
		t.Errorf("signed-in user during the flood: status %d err %v (%s), want 200", legit.status, legit.err, legit.body)
	}
	if peak.Load() > int64(limit) {
		t.Errorf("goroutines peaked at %d, above %d", peak.Load(), limit)
	}
	// What stays: idle connections to the app, at most bound of them, each
	// with the transport's two goroutines and the app's one.
	after := baseline + 3*bound + goroutineSlack
	if n := goroutinesAtMost(after, 10*time.Second); n > after {
		t.Errorf("goroutines = %d after the flood, baseline %d: lookups or connections left behind", n, baseline)
	}
}

// TestConnectionCap: beyond HTTP_MAX_CONNECTIONS, a connection waits to be
// accepted until another closes, so idle keep-alive connections cannot
// grow memory without end.
func TestConnectionCap(t *testing.T) {
	s := startStack(t, map[string]string{"HTTP_MAX_CONNECTIONS": "2"}, logTo(io.Discard))
	addr := s.public[len("http://"):]
	var idle []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		idle = append(idle, c)
	}
	third, err := net.Dial("tcp", addr) // the kernel's backlog takes it
	if err != nil {
		t.Fatal(err)
	}
	defer third.Close()
	fmt.Fprintf(third, "GET /connect HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", addr)
	_ = third.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if n, _ := third.Read(make([]byte, 1)); n > 0 {
		t.Fatal("a third connection was served while two were open")
	}
	idle[0].Close()
	_ = third.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, err := io.ReadAll(io.LimitReader(third, 12))
	if err != nil || string(line) != "HTTP/1.1 401" {
		t.Fatalf("after one closed: %q, %v; want the third served", line, err)
	}
}

// TestTossedCookieIsRefused: a sibling subdomain can plant a second cookie
// of the token cookie's name; the request is refused rather than served
// with whichever comes first.
func TestTossedCookieIsRefused(t *testing.T) {
	s := startStack(t, nil)
	good := s.token(t)
	planted := s.tokenFor(t, demo.User{ID: "u-eve", Name: "Eve", Email: "eve@evil.test", OrgID: "org_evil", OrgName: "Evil"})
	h := http.Header{"Cookie": {"app_session=" + planted + "; app_session=" + good}, "Accept": {"application/json"}}
	res, b := do(t, "POST", s.public+"/connect", h, "")
	if res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("status %d (%s), want 401", res.StatusCode, b)
	}
	wantMetric(t, s.admin, `vaultgate_auth_failures_total{reason="invalid"}`, 1)
}
