package app

import (
	"bufio"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/vaultgate/vaultgate/internal/demo"
	"github.com/vaultgate/vaultgate/internal/testkit"
)

const (
	testWebhookPath = "/webhooks/apideck-7f3a"
	testRelaySecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
)

// eventsEnv turns connection events on.
func eventsEnv(extra map[string]string) map[string]string {
	env := map[string]string{"APIDECK_WEBHOOK_PATH": testWebhookPath, "RATE_LIMIT_PER_MINUTE": "1"}
	for k, v := range extra {
		env[k] = v
	}
	return env
}

// connectionEvent is a vault.connection event for org_acme, as Apideck sends it.
func connectionEvent(id, kind string) string {
	return fmt.Sprintf(`{"payload":{"event_id":%q,"event_type":"vault.connection.%s","service_id":"apideck-vault",`+
		`"execution_attempt":1,"occurred_at":%q,"entity":{"consumer_id":"org_acme","unified_api":"crm",`+
		`"service_id":"salesforce","state":"callable","settings":{"instance_url":"https://acme.example"}}}}`,
		id, kind, time.Now().UTC().Format(time.RFC3339Nano))
}

// postWebhook delivers body signed as Apideck signs it and returns the status.
func (s *stack) postWebhook(t testing.TB, body string) int {
	t.Helper()
	m := hmac.New(sha256.New, []byte(testAPIKey))
	m.Write([]byte(body))
	req, _ := http.NewRequest(http.MethodPost, s.public+testWebhookPath, strings.NewReader(body))
	req.Header.Set("x-apideck-signature", hex.EncodeToString(m.Sum(nil)))
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

// sseEvent is one message of an event stream.
type sseEvent struct{ id, event, data string }

// openStream opens /connections/events with a bearer token and delivers
// its messages (comments and retry lines left out) until the test ends.
func (s *stack) openStream(t testing.TB, client *http.Client, token string) (<-chan sseEvent, *http.Response) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.public+"/connections/events", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	if res.StatusCode != http.StatusOK {
		t.Fatalf("stream: %d", res.StatusCode)
	}
	ch := make(chan sseEvent, 64)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(res.Body)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.event != "" {
					ch <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, "id: "):
				ev.id = line[4:]
			case strings.HasPrefix(line, "event: "):
				ev.event = line[7:]
			case strings.HasPrefix(line, "data: "):
				ev.data = line[6:]
			}
		}
	}()
	return ch, res
}

func nextEvent(t testing.TB, ch <-chan sseEvent) sseEvent {
	t.Helper()
	select {
	case ev, ok := <-ch:
		if !ok {
			t.Fatal("stream ended")
		}
		return ev
	case <-time.After(10 * time.Second):
		t.Fatal("no event within 10 s")
	}
	return sseEvent{}
}

// nextConnection skips ready messages.
func nextConnection(t testing.TB, ch <-chan sseEvent) sseEvent {
	t.Helper()
	for {
		if ev := nextEvent(t, ch); ev.event == "connection" {
			return ev
		}
	}
}

func TestWebhookReachesStreamAndApp(t *testing.T) {
	var mu sync.Mutex
	var relayed []*http.Request
	var bodies []string
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		relayed, bodies = append(relayed, r), append(bodies, string(b))
		mu.Unlock()
	}))
	defer app.Close()
	s := startStack(t, eventsEnv(map[string]string{"EVENTS_RELAY_URL": app.URL, "EVENTS_RELAY_SECRET": testRelaySecret}))

	// Several streams of one user: none is counted by RATE_LIMIT_PER_MINUTE (1).
	ch, res := s.openStream(t, http.DefaultClient, s.token(t))
	for h, want := range map[string]string{"Content-Type": "text/event-stream", "Cache-Control": "no-store",
		"X-Accel-Buffering": "no", "X-Frame-Options": "DENY"} {
		if got := res.Header.Get(h); got != want {
			t.Errorf("%s: %q", h, got)
		}
	}
	if ev := nextEvent(t, ch); ev.event != "ready" || ev.data != "{}" {
		t.Fatalf("first message %+v", ev)
	}
	second, _ := s.openStream(t, http.DefaultClient, s.token(t))
	nextEvent(t, second)

	body := connectionEvent("evt-e2e-1", "callable")
	if status := s.postWebhook(t, body); status != http.StatusOK {
		t.Fatalf("webhook: %d", status)
	}
	ev := nextConnection(t, ch)
	if ev.id != "evt-e2e-1" || !strings.HasPrefix(ev.data, `{"unified_api":"crm","service_id":"salesforce","state":"callable","event_type":"vault.connection.callable","occurred_at":"`) ||
		strings.Contains(ev.data, "instance_url") {
		t.Fatalf("%+v", ev)
	}
	nextConnection(t, second)

	mu.Lock()
	if len(relayed) != 1 || bodies[0] != body {
		t.Fatalf("relayed %d", len(relayed))
	}
	wh, _ := standardwebhooks.NewWebhook(testRelaySecret)
	if err := wh.Verify([]byte(bodies[0]), relayed[0].Header); err != nil {
		t.Errorf("the app cannot verify the relayed event: %v", err)
	}
	mu.Unlock()

	// The access line names the event, never the body or signature.
	testkit.Eventually(t, "the webhook's access line", func() bool {
		return slices.ContainsFunc(s.logs.AccessLines(t), func(l map[string]any) bool { return l["route"] == testWebhookPath })
	})
	for _, l := range s.logs.AccessLines(t) {
		if l["route"] == testWebhookPath && (l["event_type"] != "vault.connection.callable" || l["webhook_id"] != "evt-e2e-1" ||
			l["sig_form"] != "raw" || l["consumer_id"] != "org_acme" || l["upstream_status"] != 200.0) {
			t.Errorf("access line %v", l)
		}
	}
	m := hmac.New(sha256.New, []byte(testAPIKey))
	m.Write([]byte(body))
	s.logs.WantNoSecrets(t, testAPIKey, hex.EncodeToString(m.Sum(nil)), "instance_url", testRelaySecret)

	// Wrong method, bad signature.
	res2, _ := http.Get(s.public + testWebhookPath)
	testkit.WantProblem(t, res2, http.StatusMethodNotAllowed, "method_not_allowed")
	if res2.Header.Get("Allow") != "POST" {
		t.Errorf("Allow %q", res2.Header.Get("Allow"))
	}
	req, _ := http.NewRequest(http.MethodPost, s.public+testWebhookPath, strings.NewReader(body))
	req.Header.Set("x-apideck-signature", strings.Repeat("0", 64))
	res3, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var problem struct{ Code, Detail string }
	_ = json.NewDecoder(res3.Body).Decode(&problem)
	res3.Body.Close()
	if res3.StatusCode != http.StatusUnauthorized || problem.Code != "invalid_signature" ||
		strings.Contains(strings.ToLower(problem.Detail), "signature") || strings.Contains(problem.Detail, "form") {
		t.Errorf("bad signature: %d %+v", res3.StatusCode, problem)
	}
}

// TestWebhookLatency measures webhook-to-stream latency on one replica.
func TestWebhookLatency(t *testing.T) {
	if testing.Short() {
		t.Skip("measurement")
	}
	s := startStack(t, eventsEnv(nil))
	ch, _ := s.openStream(t, http.DefaultClient, s.token(t))
	nextEvent(t, ch)
	measureLatency(t, "one replica", s, ch)
}

// measureLatency posts 1,000 events to s and logs how long each took to
// reach the stream ch (a figure, not an assertion).
func measureLatency(t *testing.T, what string, s *stack, ch <-chan sseEvent) {
	const n = 1000
	lat := make([]time.Duration, 0, n)
	for i := range n {
		start := time.Now()
		if status := s.postWebhook(t, connectionEvent(fmt.Sprint("lat-", i), "updated")); status != http.StatusOK {
			t.Fatalf("webhook %d: %d", i, status)
		}
		nextConnection(t, ch)
		lat = append(lat, time.Since(start))
	}
	slices.Sort(lat)
	t.Logf("webhook-to-stream latency, %s, %d events: p50 %v, p99 %v", what, n, lat[n/2], lat[n*99/100])
}

// TestEventsAcrossReplicas runs two vaultgates sharing a real redis-server:
// a webhook received by one reaches a stream on the other; with Redis
// killed each keeps serving its own streams and stays ready.
func TestEventsAcrossReplicas(t *testing.T) {
	r := testkit.StartRedis(t)
	a := startStack(t, eventsEnv(map[string]string{"REDIS_URL": r.URL()}))
	b := startStack(t, eventsEnv(map[string]string{"REDIS_URL": r.URL()}))
	onB, _ := b.openStream(t, http.DefaultClient, b.token(t))
	nextEvent(t, onB)
	if status := a.postWebhook(t, connectionEvent("evt-x-1", "callable")); status != http.StatusOK {
		t.Fatalf("%d", status)
	}
	if ev := nextConnection(t, onB); ev.id != "evt-x-1" {
		t.Fatalf("%+v", ev)
	}
	if !testing.Short() {
		measureLatency(t, "two replicas through Redis", a, onB)
	}
	onA, _ := a.openStream(t, http.DefaultClient, a.token(t))
	nextEvent(t, onA)

	r.Kill()
	if status := a.postWebhook(t, connectionEvent("evt-x-2", "updated")); status != http.StatusOK {
		t.Fatalf("without Redis: %d", status)
	}
	if ev := nextConnection(t, onA); ev.id != "evt-x-2" {
		t.Fatalf("%+v", ev)
	}
	res, err := http.Get(a.admin + "/readyz")
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("readyz without Redis: %v %v", res.Status, err)
	}
	res.Body.Close()
	r.Restart()
	// Resubscribed: the streams are told to re-read the list.
	for {
		if ev := nextEvent(t, onB); ev.event == "ready" {
			break
		}
	}
}

// TestOpenStreamsDoNotHoldUpDrain opens 500 streams and stops vaultgate:
// it drains within SHUTDOWN_TIMEOUT. It also logs memory per open stream.
func TestOpenStreamsDoNotHoldUpDrain(t *testing.T) {
	const n = 500
	s := startStack(t, eventsEnv(map[string]string{"SHUTDOWN_TIMEOUT": "5s"}))
	client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 0, MaxIdleConnsPerHost: n}}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	streams := make([]<-chan sseEvent, n)
	for i := range n {
		u := demo.User{ID: fmt.Sprint("u-", i), Name: "U", Email: "u@acme.test", OrgID: "org_acme", OrgName: "Acme"}
		streams[i], _ = s.openStream(t, client, s.tokenFor(t, u))
		nextEvent(t, streams[i])
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	t.Logf("heap per open stream (server and client in one process): %d bytes; goroutines %d",
		(after.HeapInuse-before.HeapInuse)/n, runtime.NumGoroutine())

	start := time.Now()
	s.cancel()
	select {
	case err := <-s.done:
		s.done <- err // for the cleanup
		if err != nil {
			t.Fatalf("drain: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("not drained")
	}
	t.Logf("shutdown with %d open streams took %v", n, time.Since(start))
	for i, ch := range streams {
		select {
		case _, ok := <-ch:
			for ok {
				_, ok = <-ch
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("stream %d still open", i)
		}
	}
}

// TestEventsRefusals checks the answers of the webhook and stream routes to
// what they must refuse.
func TestEventsRefusals(t *testing.T) {
	s := startStack(t, eventsEnv(map[string]string{"EVENTS_MAX_STREAMS": "1"}))
	post := func(body io.Reader, sig string) *http.Response {
		req, _ := http.NewRequest(http.MethodPost, s.public+testWebhookPath, body)
		if sig != "" {
			req.Header.Set("x-apideck-signature", sig)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	// Over 256 KiB: 413.
	res := post(strings.NewReader(strings.Repeat(" ", 4<<20)), strings.Repeat("0", 64))
	testkit.WantProblem(t, res, http.StatusRequestEntityTooLarge, "payload_too_large")
	// Not JSON, yet signed: 400.
	m := hmac.New(sha256.New, []byte(testAPIKey))
	m.Write([]byte("not json"))
	testkit.WantProblem(t, post(strings.NewReader("not json"), hex.EncodeToString(m.Sum(nil))), http.StatusBadRequest, "invalid_request")

	// A stream of a prefetch is refused; one stream fits, a second does not.
	req, _ := http.NewRequest(http.MethodGet, s.public+"/connections/events", nil)
	req.Header.Set("Authorization", "Bearer "+s.token(t))
	req.Header.Set("Sec-Purpose", "prefetch")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	testkit.WantProblem(t, res, http.StatusBadRequest, "prefetch_refused")
	// A token that expires in 2 s: the stream ends then.
	u := demo.User{ID: "u-short", Name: "S", Email: "s@acme.test", OrgID: "org_acme", OrgName: "Acme"}
	short, err := s.issuer.Mint(u, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	ch, _ := s.openStream(t, http.DefaultClient, short)
	nextEvent(t, ch)
	req, _ = http.NewRequest(http.MethodGet, s.public+"/connections/events", nil)
	req.Header.Set("Authorization", "Bearer "+s.token(t))
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	testkit.WantProblem(t, res, http.StatusServiceUnavailable, "too_many_streams")
	if res.Header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	select {
	case _, ok := <-ch:
		for ok {
			_, ok = <-ch
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the stream outlived its token")
	}

	// 60 failed verifications from one address, then 429 before anything is read.
	for range 60 {
		res := post(strings.NewReader("{}"), strings.Repeat("0", 64))
		res.Body.Close()
		if res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("bad signature: %d", res.StatusCode)
		}
	}
	testkit.WantProblem(t, post(strings.NewReader("{}"), strings.Repeat("0", 64)), http.StatusTooManyRequests, "rate_limited")
}
