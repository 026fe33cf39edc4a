package app

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vaultgate/vaultgate/internal/testkit"
)

// TestSlowHeadersAreCutOff is a slowloris client: it sends the start of a
// request and then one header byte every 500 ms. The header read timeout
// (10 s) counts from the start of the request, so the trickle must not keep
// the connection open; the server hangs up without an answer. This is the
// one slow test (about 10 s); it runs in parallel with the others.
func TestSlowHeadersAreCutOff(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the 10 s header read timeout")
	}
	t.Parallel()
	s := startStack(t, nil)
	conn := dialPublic(t, s)

	start := time.Now()
	if _, err := io.WriteString(conn, "GET /connect HTTP/1.1\r\nHost: vaultgate.test\r\nX-Slow: "); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	dripped := make(chan int, 1)
	go func() {
		n := 0
		defer func() { dripped <- n }()
		tick := time.NewTicker(500 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			if _, err := conn.Write([]byte("a")); err != nil {
				return // the server hung up
			}
			n++
		}
	}()

	if err := conn.SetReadDeadline(time.Now().Add(12 * time.Second)); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(conn)
	elapsed := time.Since(start)
	close(stop)
	n := <-dripped
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("connection still open after %v and %d trickled bytes; want it closed by the header timeout", elapsed, n)
	}
	if len(got) != 0 {
		t.Fatalf("server answered %q, want it to hang up", got)
	}
	// Hanging up at once would mean the request was refused for another
	// reason, not cut off by the timeout being tested.
	if elapsed < 2*time.Second {
		t.Fatalf("connection closed after %v, before the trickle could be timed out", elapsed)
	}
	t.Logf("closed after %v, %d bytes trickled", elapsed, n)
}

// TestOversizedBodyRefusedWithoutReading declares a 100 KB body (the limit
// is 16 KiB) and never sends it: the 413 must come at once, not after the
// server has waited for a body it would throw away.
func TestOversizedBodyRefusedWithoutReading(t *testing.T) {
	s := startStack(t, nil)
	conn := dialPublic(t, s)
	req := "POST /connect HTTP/1.1\r\nHost: vaultgate.test\r\n" +
		"Authorization: Bearer " + s.token(t) + "\r\n" +
		"Content-Type: application/json\r\nContent-Length: 102400\r\n\r\n{"
	if _, err := io.WriteString(conn, req); err != nil {
		t.Fatal(err)
	}
	// Far below the 30 s read timeout a server waiting for the body would
	// hit, and far above any normal answer time.
	if err := conn.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer while the body is outstanding: %v", err)
	}
	defer res.Body.Close()
	testkit.WantProblem(t, res, http.StatusRequestEntityTooLarge, "invalid_request")
	if got := s.sim.Calls(); got != 0 {
		t.Errorf("upstream calls = %d, want 0", got)
	}
}

// TestHeaderSizeLimit checks the 64 KiB bound on request headers: beyond
// it 431, below it the request is served.
func TestHeaderSizeLimit(t *testing.T) {
	s := startStack(t, nil)
	tok := s.token(t)
	cases := []struct {
		name   string
		pad    int
		status int
	}{
		{"well below the limit", 48 << 10, http.StatusOK},
		{"beyond the limit", 70 << 10, http.StatusRequestHeaderFieldsTooLarge},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := bearer(tok)
			h.Set("X-Pad", strings.Repeat("p", tc.pad))
			res, b := do(t, "POST", s.public+"/connect", h, "")
			if res.StatusCode != tc.status {
				t.Fatalf("status = %d, want %d (%.200s)", res.StatusCode, tc.status, b)
			}
		})
	}
}

// dialPublic opens a raw TCP connection to the public listener.
func dialPublic(t *testing.T, s *stack) net.Conn {
	t.Helper()
	addr := strings.TrimPrefix(s.public, "http://")
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(fmt.Errorf("dial %s: %w", addr, err))
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}
