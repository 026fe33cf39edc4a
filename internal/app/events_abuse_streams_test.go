package app

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vaultgate/vaultgate/internal/demo"
	"github.com/vaultgate/vaultgate/internal/testkit"
)

// wantBaseline waits for goroutines and open descriptors to return to
// where they were and logs the figures.
func wantBaseline(t *testing.T, what string, baseG, baseFD int) {
	t.Helper()
	http.DefaultTransport.(*http.Transport).CloseIdleConnections() // metric scrapes
	g := goroutinesAtMost(baseG+goroutineSlack, 15*time.Second)
	fd := openFDs()
	for deadline := time.Now().Add(5 * time.Second); fd > baseFD && time.Now().Before(deadline); fd = openFDs() {
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("%s: goroutines %d → %d, open descriptors %d → %d", what, baseG, g, baseFD, fd)
	if g > baseG+goroutineSlack || fd > baseFD {
		t.Errorf("%s: goroutines %d (baseline %d), descriptors %d (baseline %d)", what, g, baseG, fd, baseFD)
	}
}

// TestStreamStampede opens 2,000 streams at once, each for another user,
// against EVENTS_MAX_STREAMS=1000 (200 against 100 with -short): exactly
// the bound open, the rest 503 too_many_streams with Retry-After, the gauge
// right, and once all close, goroutines and descriptors back where they were.
func TestStreamStampede(t *testing.T) {
	clients, bound := 2000, 1000
	if testing.Short() {
		clients, bound = 200, 100
	}
	s := startStack(t, eventsEnv(map[string]string{"EVENTS_MAX_STREAMS": fmt.Sprint(bound)}))
	tokens := make([]string, clients)
	for i := range tokens {
		tokens[i] = s.tokenFor(t, demo.User{ID: fmt.Sprint("u-stampede-", i), Name: "U", Email: "u@acme.test", OrgID: "org_acme", OrgName: "Acme"})
	}
	tr := &http.Transport{}
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
	baseG, baseFD := stableGoroutines(), openFDs()

	start := time.Now()
	replies := together(clients, func(i int) faultReply {
		req, _ := http.NewRequest(http.MethodGet, s.public+"/connections/events", nil)
		req.Header.Set("Authorization", "Bearer "+tokens[i])
		res, err := client.Do(req)
		if err != nil {
			return faultReply{err: err}
		}
		if res.StatusCode == http.StatusOK {
			return faultReply{status: res.StatusCode, res: res} // left open
		}
		b, err := readBody(res)
		return faultReply{status: res.StatusCode, res: res, body: b, err: err}
	})
	t.Logf("%d stream requests answered in %v", clients, time.Since(start))
	open := 0
	for i, r := range replies {
		switch {
		case r.err != nil:
			t.Fatalf("client %d: %v", i, r.err)
		case r.status == http.StatusOK:
			open++
		default:
			testkit.WantProblem(t, r.res, http.StatusServiceUnavailable, "too_many_streams")
			wantRetryAfter(t, r.res.Header.Get("Retry-After"), 1, 60)
		}
	}
	if open != bound {
		t.Errorf("%d streams open, want exactly %d", open, bound)
	}
	wantMetric(t, s.admin, "vaultgate_event_streams", float64(bound))

	for _, r := range replies {
		if r.status == http.StatusOK {
			r.res.Body.Close()
		}
	}
	tr.CloseIdleConnections()
	testkit.Eventually(t, "every stream to close", func() bool {
		v, _ := metricValue(t, s.admin, "vaultgate_event_streams")
		return v == 0
	})
	wantBaseline(t, "after the stampede", baseG, baseFD)
	wantNoServerErrors(t, s)
}

// TestStreamThatNeverReadsIsEnded opens a stream with a tiny receive
// buffer and never reads it while events are pushed: the stream ends (16
// undelivered messages, or the 10 s write deadline), a reading stream of
// the same consumer gets every event, and nothing is left behind.
func TestStreamThatNeverReadsIsEnded(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the 10 s write deadline")
	}
	s := startStack(t, eventsEnv(nil))
	tok := s.token(t)
	reader := &http.Transport{}
	ch, _ := s.openStream(t, &http.Client{Transport: reader}, tok)
	nextEvent(t, ch)
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
	baseG, baseFD := stableGoroutines(), openFDs()

	d := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		return c.Control(func(fd uintptr) {
			_ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096)
		})
	}}
	stuck, err := d.Dial("tcp", strings.TrimPrefix(s.public, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer stuck.Close()
	if _, err := io.WriteString(stuck, "GET /connections/events HTTP/1.1\r\nHost: vaultgate.test\r\n"+
		"Authorization: Bearer "+s.tokenFor(t, demo.User{ID: "u-stuck", Name: "S", Email: "s@acme.test", OrgID: "org_acme", OrgName: "Acme"})+"\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "the stuck stream to open", func() bool {
		v, _ := metricValue(t, s.admin, "vaultgate_event_streams")
		return v == 2
	})

	bigState := strings.Repeat("s", 16<<10)
	start, posted := time.Now(), 0
	for ; posted < 5000; posted++ {
		if posted%20 == 0 {
			if v, _ := metricValue(t, s.admin, "vaultgate_event_streams"); v == 1 {
				break
			}
		}
		id := fmt.Sprint("evt-stuck-", posted)
		// A long state fills the socket buffers in a few hundred events.
		body := strings.Replace(connectionEvent(id, "updated"), `"state":"callable"`, `"state":"`+bigState+`"`, 1)
		if res, b := s.deliver(t, body, signHex(body)); res.StatusCode != http.StatusOK {
			t.Fatalf("webhook %d: %d %s", posted, res.StatusCode, b)
		}
		// In step with the reading stream, so only the stuck one falls behind.
		if ev := nextConnection(t, ch); ev.id != id {
			t.Fatalf("the reading stream got %+v, want %s", ev, id)
		}
	}
	t.Logf("the stuck stream was ended after %d events, %v", posted, time.Since(start))
	wantMetric(t, s.admin, "vaultgate_event_streams", 1)

	// The server's side of the stuck stream ends (its access line is
	// written) by its write deadline at the latest, though the client
	// still holds the connection unread.
	ended := func() bool {
		for _, l := range s.logs.AccessLines(t) {
			if l["route"] == "/connections/events" {
				return true
			}
		}
		return false
	}
	for deadline := time.Now().Add(15 * time.Second); !ended() && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("the stuck stream's handler returned %v after the events began", time.Since(start))
	if !ended() {
		t.Fatal("the stuck stream's handler still runs")
	}
	g := goroutinesAtMost(baseG+goroutineSlack, 15*time.Second)
	t.Logf("goroutines %d → %d with the stuck client still connected", baseG, g)
	if g > baseG+goroutineSlack {
		t.Errorf("goroutines %d, baseline %d", g, baseG)
	}
	_ = stuck.Close()
	wantBaseline(t, "after the stuck client left", baseG, baseFD)
	wantNoServerErrors(t, s)
}

// TestStreamRefusals: an expired token is 401 with reason expired; a
// cookie credential from another site is 403 cross_site.
func TestStreamRefusals(t *testing.T) {
	s := startStack(t, eventsEnv(map[string]string{"AUTH_CLOCK_SKEW": "0s"}))
	u := demo.User{ID: "u-expiring", Name: "E", Email: "e@acme.test", OrgID: "org_acme", OrgName: "Acme"}
	short, err := s.issuer.Mint(u, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	valid := s.token(t)
	time.Sleep(2100 * time.Millisecond) // exp has whole seconds
	res, _ := do(t, http.MethodGet, s.public+"/connections/events", bearer(short), "")
	if p := testkit.WantProblem(t, res, http.StatusUnauthorized, "unauthenticated"); p.Reason != "expired" {
		t.Errorf("reason %q, want expired", p.Reason)
	}
	h := http.Header{"Cookie": {"app_session=" + valid}, "Sec-Fetch-Site": {"cross-site"}}
	res, _ = do(t, http.MethodGet, s.public+"/connections/events", h, "")
	testkit.WantProblem(t, res, http.StatusForbidden, "cross_site")
	wantNoServerErrors(t, s)
	s.logs.WantNoSecrets(t, short, valid, testAPIKey)
}
