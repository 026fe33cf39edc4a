package events

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/rs/zerolog"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

const (
	testKey = "sk_test_events_0123456789abcdef"
	// testSecret is a Standard Webhooks secret: whsec_ and 32 bytes in base64.
	testSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
)

func mac(key, body string) []byte {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(body))
	return m.Sum(nil)
}

func signHex(body string) []string { return []string{hex.EncodeToString(mac(testKey, body))} }

// eventBody is a vault.connection event as Apideck sends it.
func eventBody(id, kind, consumer, api, service string, at time.Time) string {
	return fmt.Sprintf(`{"payload":{"event_id":%q,"event_type":"vault.connection.%s","service_id":"apideck-vault",`+
		`"entity_type":"Connection","entity_id":"%s+%s","execution_attempt":2,"occurred_at":%q,`+
		`"entity":{"consumer_id":%q,"unified_api":%q,"service_id":%q,"state":"callable","enabled":true,`+
		`"settings":{"token":"never-shown"}}}}`,
		id, kind, api, service, at.UTC().Format("2006-01-02T15:04:05.000Z"), consumer, api, service)
}

// relayed is one request the fake app received.
type relayed struct {
	header http.Header
	body   string
}

// fakeApp is the app's relay endpoint; answer decides each status.
type fakeApp struct {
	*httptest.Server
	mu     sync.Mutex
	got    []relayed
	answer func() int
}

func newFakeApp(t *testing.T) *fakeApp {
	a := &fakeApp{answer: func() int { return http.StatusNoContent }}
	a.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		a.mu.Lock()
		a.got = append(a.got, relayed{r.Header.Clone(), string(b)})
		status := a.answer()
		a.mu.Unlock()
		if status >= 300 && status < 400 {
			w.Header().Set("Location", "/elsewhere")
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(strings.Repeat("x", 64<<10)))
	}))
	t.Cleanup(a.Close)
	return a
}

func (a *fakeApp) requests() []relayed {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]relayed(nil), a.got...)
}

func newService(t *testing.T, o Options) (*Service, *prometheus.Registry) {
	t.Helper()
	o.APIKey = testKey
	if o.MaxStreams == 0 {
		o.MaxStreams = 100
	}
	if o.RelayURL != "" && o.RelaySecret == "" {
		o.RelaySecret = testSecret
	}
	o.RelayTimeout = max(o.RelayTimeout, 2*time.Second)
	reg := prometheus.NewRegistry()
	s, err := New(o, reg, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s, reg
}

func receive(s *Service, body string, sig []string) (Result, error) {
	return s.Receive(context.Background(), Delivery{IP: "192.0.2.1", Signature: sig, Body: strings.NewReader(body)})
}

// next returns the stream's next message, failing after 5 s.
func next(t *testing.T, st *Stream) Message {
	t.Helper()
	select {
	case m := <-st.C:
		return m
	case <-time.After(5 * time.Second):
		t.Fatal("no message on the stream")
	}
	return Message{}
}

// quiet checks that the stream holds no message now.
func quiet(t *testing.T, st *Stream) {
	t.Helper()
	select {
	case m := <-st.C:
		t.Fatalf("unexpected message %s %s", m.Kind, m.Data)
	default:
	}
}

func TestReceivePushesAndRelays(t *testing.T) {
	app := newFakeApp(t)
	s, reg := newService(t, Options{RelayURL: app.URL, UnifiedAPIs: []string{"crm", "hris"}})
	mine, err := s.Subscribe("org_42", "alice")
	if err != nil {
		t.Fatal(err)
	}
	other, _ := s.Subscribe("org_7", "bob")
	if m := next(t, mine); m.Kind != KindReady || string(m.Data) != "{}" {
		t.Fatalf("first message %+v", m)
	}
	next(t, other)

	at := time.Now().Add(-time.Minute).Truncate(time.Millisecond)
	body := eventBody("evt-1", "callable", "org_42", "crm", "salesforce", at)
	res, err := receive(s, body, signHex(body))
	if err != nil || res.Outcome != OutcomeAccepted || res.Form != FormRaw || res.WebhookID != "evt-1" ||
		res.ConsumerID != "org_42" || res.EventType != "vault.connection.callable" || res.RelayStatus != 204 {
		t.Fatalf("%+v %v", res, err)
	}
	m := next(t, mine)
	want := `{"unified_api":"crm","service_id":"salesforce","state":"callable","event_type":"vault.connection.callable","occurred_at":"` +
		at.UTC().Format(time.RFC3339) + `"}`
	if m.Kind != KindConnection || m.ID != "evt-1" || string(m.Data) != want {
		t.Fatalf("pushed %s %s %s", m.Kind, m.ID, m.Data)
	}
	quiet(t, other)

	reqs := app.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d relayed", len(reqs))
	}
	verifyRelayed(t, reqs[0], body, "evt-1")

	// Delivered again: acknowledged, nothing pushed or relayed.
	if res, err := receive(s, body, signHex(body)); err != nil || res.Outcome != OutcomeDuplicate {
		t.Fatalf("redelivery: %+v %v", res, err)
	}
	quiet(t, mine)
	if len(app.requests()) != 1 {
		t.Fatal("a duplicate was relayed")
	}
	if n := testutil.CollectAndCount(reg, "vaultgate_webhook_execution_attempt"); n != 1 {
		t.Errorf("attempt histogram: %d", n)
	}
	if v := testutil.ToFloat64(s.m.webhooks.WithLabelValues(OutcomeDuplicate)); v != 1 {
		t.Errorf("duplicates counted %v", v)
	}
	if v := testutil.ToFloat64(s.m.signatures.WithLabelValues(FormRaw, "hex")); v != 2 {
		t.Errorf("raw hex signatures counted %v", v)
	}
}

// verifyRelayed checks a relayed request as the app would: the reference
// library's verifier and, independently, the HMAC written out by hand.
func verifyRelayed(t *testing.T, r relayed, body, id string) {
	t.Helper()
	if r.body != body {
		t.Fatalf("relayed body differs: %s", r.body)
	}
	h := r.header
	if h.Get("Content-Type") != "application/json" || h.Get("webhook-id") != id ||
		!strings.HasPrefix(h.Get("x-apideck-event-type"), "vault.connection.") {
		t.Fatalf("headers %v", h)
	}
	if h.Get("x-apideck-signature") != "" || strings.Contains(fmt.Sprint(h), testKey) {
		t.Fatal("the Apideck signature or key was relayed")
	}
	wh, err := standardwebhooks.NewWebhook(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	if err := wh.Verify([]byte(r.body), h); err != nil {
		t.Fatalf("reference verifier: %v", err)
	}
	key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(testSecret, "whsec_"))
	want := "v1," + base64.StdEncoding.EncodeToString(mac(string(key), id+"."+h.Get("webhook-timestamp")+"."+body))
	if !strings.Contains(" "+h.Get("webhook-signature")+" ", " "+want+" ") {
		t.Fatalf("signature %q lacks %q", h.Get("webhook-signature"), want)
	}
}

func TestRelayFailureIsRetriedByApideck(t *testing.T) {
	app := newFakeApp(t)
	s, _ := newService(t, Options{RelayURL: app.URL})
	st, _ := s.Subscribe("org_42", "alice")
	next(t, st)
	body := eventBody("evt-2", "created", "org_42", "crm", "salesforce", time.Now())
	for _, status := range []int{http.StatusInternalServerError, http.StatusFound, http.StatusGone} {
		app.mu.Lock()
		app.answer = func() int { return status }
		app.mu.Unlock()
		res, err := receive(s, body, signHex(body))
		if !errors.Is(err, ErrRelayFailed) || res.Outcome != OutcomeRelayFailed || res.RetryAfter != 180*time.Second || res.RelayStatus != status {
			t.Fatalf("%d: %+v %v", status, res, err)
		}
		// Pushed although the relay failed, and again on each redelivery.
		if m := next(t, st); m.ID != "evt-2" {
			t.Fatalf("%d: %+v", status, m)
		}
	}
	app.mu.Lock()
	app.answer = func() int { return http.StatusOK }
	app.mu.Unlock()
	if res, err := receive(s, body, signHex(body)); err != nil || res.Outcome != OutcomeAccepted {
		t.Fatalf("%+v %v", res, err)
	}
	next(t, st)
	if len(app.requests()) != 4 || app.requests()[1].header.Get("Location") != "" {
		t.Fatalf("%d relayed", len(app.requests()))
	}
	for outcome, want := range map[string]float64{relayStatus: 2, relayRedirect: 1, relayOK: 1} {
		if v := testutil.ToFloat64(s.m.relays.WithLabelValues(outcome)); v != want {
			t.Errorf("relay %s: %v", outcome, v)
		}
	}
}

func TestRelayTimeoutAndNetwork(t *testing.T) {
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // then the server notices the client leave
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}))
	defer hang.Close()
	closing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _, _ := http.NewResponseController(w).Hijack()
		_ = c.Close()
	}))
	defer closing.Close()
	// A 200 whose body never arrives in full is not an acceptance.
	cutOff := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, buf, _ := http.NewResponseController(w).Hijack()
		_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"rec")
		_ = buf.Flush()
		_ = c.Close()
	}))
	defer cutOff.Close()
	slowBody := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		_ = http.NewResponseController(w).Flush()
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}))
	defer slowBody.Close()
	for _, c := range []struct{ url, outcome string }{{hang.URL, relayTimeout}, {closing.URL, relayNetwork},
		{cutOff.URL, relayNetwork}, {slowBody.URL, relayTimeout}} {
		s, _ := newService(t, Options{RelayURL: c.url})
		s.relay.client.Timeout = 200 * time.Millisecond
		body := eventBody("evt-3", "created", "org_42", "crm", "salesforce", time.Now())
		res, err := receive(s, body, signHex(body))
		if !errors.Is(err, ErrRelayFailed) || strings.Contains(err.Error(), "127.0.0.1") {
			t.Fatalf("%s: %+v %v", c.outcome, res, err)
		}
		if v := testutil.ToFloat64(s.m.relays.WithLabelValues(c.outcome)); v != 1 {
			t.Errorf("%s counted %v", c.outcome, v)
		}
	}
}

func TestReceiveAcknowledgesWithoutEffect(t *testing.T) {
	s, _ := newService(t, Options{UnifiedAPIs: []string{"crm"}})
	st, _ := s.Subscribe("org_42", "alice")
	next(t, st)
	now := time.Now()
	for _, c := range []struct{ name, body, outcome string }{
		{"url check", `{"message":"Validating delivery URL"}`, OutcomeURLCheck},
		{"old", eventBody("e-old", "created", "org_42", "crm", "sf", now.Add(-31*time.Hour)), OutcomeStale},
		{"ahead", eventBody("e-new", "created", "org_42", "crm", "sf", now.Add(6*time.Minute)), OutcomeStale},
		{"not offered", eventBody("e-hris", "created", "org_42", "hris", "bamboo", now), OutcomeAccepted},
		{"bad service", eventBody("e-svc", "created", "org_42", "crm", "Sales Force", now), OutcomeAccepted},
		{"no consumer", `{"payload":{"event_type":"vault.connection.created","entity":{"unified_api":"crm","service_id":"sf"}}}`, OutcomeAccepted},
		{"no entity", `{"payload":{"event_type":"vault.connection.created"}}`, OutcomeAccepted},
		{"data event", `{"payload":{"event_type":"crm.contact.created","consumer_id":"org_42","unified_api":"crm","service_id":"sf"}}`, OutcomeAccepted},
		{"odd shape", `{"payload":[1,2,{"entity":3}]}`, OutcomeAccepted},
	} {
		res, err := receive(s, c.body, signHex(c.body))
		if err != nil || res.Outcome != c.outcome {
			t.Errorf("%s: %+v %v", c.name, res, err)
		}
	}
	quiet(t, st)
}

func TestReceiveRefuses(t *testing.T) {
	s, _ := newService(t, Options{})
	body := eventBody("evt-4", "created", "org_42", "crm", "sf", time.Now())
	for _, c := range []struct {
		name string
		body string
		sig  []string
		want error
	}{
		{"no signature", body, nil, ErrInvalidSignature},
		{"two signatures", body, append(signHex(body), signHex(body)...), ErrInvalidSignature},
		{"other bytes", body + " ", signHex(body), ErrInvalidSignature},
		{"other key", body, []string{hex.EncodeToString(mac("sk_other", body))}, ErrInvalidSignature},
		{"too large", strings.Repeat(" ", MaxBody+1), signHex(strings.Repeat(" ", MaxBody+1)), ErrTooLarge},
		{"not JSON", `{"payload":`, signHex(`{"payload":`), ErrInvalid},
		{"array", `[{"payload":{}}]`, signHex(`[{"payload":{}}]`), ErrInvalid},
		{"invalid UTF-8", "{\"message\":\"\xff\"}", signHex("{\"message\":\"\xff\"}"), ErrInvalid},
		{"duplicate keys, raw", `{"a":1,"a":2}`, signHex(`{"a":1,"a":2}`), ErrInvalid},
		// A forger repeats a key so that JSON.parse's view of the body is a
		// genuinely signed one: the canonical form matches, the body is refused.
		{"duplicate keys, form", `{"message":"evil","message":"ok"}`, signHex(`{"message":"ok"}`), ErrInvalid},
	} {
		if _, err := receive(s, c.body, c.sig); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	if got := s.seen.(*memorySeen).at; len(got) != 0 {
		t.Errorf("refused ids remembered: %v", got)
	}
}

func TestFailedVerificationsLimitTheIP(t *testing.T) {
	s, _ := newService(t, Options{})
	body := `{"message":"Validating delivery URL"}`
	bad := []string{strings.Repeat("0", 64)}
	for i := range failLimit {
		if _, err := receive(s, body, bad); !errors.Is(err, ErrInvalidSignature) {
			t.Fatalf("failure %d: %v", i+1, err)
		}
	}
	// The next request is refused before its signature or body is looked at.
	unread := &countingReader{r: strings.NewReader(body)}
	res, err := s.Receive(context.Background(), Delivery{IP: "192.0.2.1", Signature: signHex(body), Body: unread})
	if !errors.Is(err, ErrRateLimited) || res.RetryAfter <= 0 || res.RetryAfter > time.Minute || unread.n != 0 {
		t.Fatalf("%+v %v, %d bytes read", res, err, unread.n)
	}
	// Other addresses are unaffected.
	other := Delivery{IP: "192.0.2.2", Signature: signHex(body), Body: strings.NewReader(body)}
	if _, err := s.Receive(context.Background(), other); err != nil {
		t.Fatal(err)
	}
}

func TestDeclaredOversizeRefusedUnread(t *testing.T) {
	s, _ := newService(t, Options{})
	body := `{"message":"Validating delivery URL"}`
	unread := &countingReader{r: strings.NewReader(body)}
	res, err := s.Receive(context.Background(), Delivery{IP: "192.0.2.1", Signature: signHex(body), Body: unread, Size: MaxBody + 1})
	if !errors.Is(err, ErrTooLarge) || res.Outcome != OutcomeTooLarge || unread.n != 0 {
		t.Fatalf("%+v %v, %d bytes read", res, err, unread.n)
	}
	// At the bound, the body is read and verified.
	if _, err := s.Receive(context.Background(), Delivery{IP: "192.0.2.1", Signature: signHex(body),
		Body: strings.NewReader(body), Size: MaxBody}); err != nil {
		t.Fatal(err)
	}
}

type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func TestFailuresBounded(t *testing.T) {
	f := newFailures(2, 3, time.Minute)
	now := time.Now()
	for i := range 10 {
		f.add(fmt.Sprint("ip", i), now)
	}
	if len(f.ips) != 3 {
		t.Fatalf("%d addresses tracked", len(f.ips))
	}
	later := now.Add(2 * time.Minute)
	f.add("new", later)
	if len(f.ips) != 1 {
		t.Fatalf("stale windows kept: %d", len(f.ips))
	}
	f.add("new", later)
	if _, blocked := f.blocked("new", later); !blocked {
		t.Fatal("not blocked after the limit")
	}
	if _, blocked := f.blocked("new", later.Add(time.Minute)); blocked {
		t.Fatal("still blocked after the window")
	}
}

func TestVerificationSlots(t *testing.T) {
	v := &verifier{key: []byte(testKey), slots: make(chan struct{}, 1), wait: 50 * time.Millisecond}
	v.slots <- struct{}{} // every slot taken
	sig, _ := ParseSignature(signHex("{}"))
	if _, _, err := v.verify(context.Background(), []byte("{}"), sig); !errors.Is(err, ErrBusy) {
		t.Fatalf("%v", err)
	}
	<-v.slots
	if form, _, err := v.verify(context.Background(), []byte("{}"), sig); err != nil || form != FormRaw {
		t.Fatalf("%s %v", form, err)
	}
}

func TestMemorySeen(t *testing.T) {
	m := newMemorySeen(3)
	now := time.Now()
	m.now = func() time.Time { return now }
	ctx := context.Background()
	for _, id := range []string{"a", "b", "c", "d"} {
		_ = m.remember(ctx, id)
	}
	if seen, _ := m.seen(ctx, "a"); seen || len(m.at) != 3 {
		t.Fatalf("oldest kept beyond the bound: %v", m.at)
	}
	if seen, _ := m.seen(ctx, "d"); !seen {
		t.Fatal("newest forgotten")
	}
	now = now.Add(dedupeTTL)
	if seen, _ := m.seen(ctx, "d"); seen {
		t.Fatal("remembered beyond the TTL")
	}
	_ = m.remember(ctx, "e")
	if len(m.at) != 1 || len(m.order) != 1 {
		t.Fatalf("expired ids kept: %v %v", m.at, m.order)
	}
}

func TestWebhookID(t *testing.T) {
	body := `{"payload":{"event_id":"has space"}}`
	p, _ := parse([]byte(body), false)
	sum := sha256.Sum256([]byte(body))
	if id := readEvent(p.root, []byte(body)).id; id != "evt_"+hex.EncodeToString(sum[:])[:32] {
		t.Fatalf("%s", id)
	}
	p, _ = parse([]byte(`{"payload":{"event_id":"9755c355-56c3_A"}}`), false)
	if id := readEvent(p.root, nil).id; id != "9755c355-56c3_A" {
		t.Fatalf("%s", id)
	}
}

func TestParseRelaySecrets(t *testing.T) {
	k := func(n int) string { return "whsec_" + base64.StdEncoding.EncodeToString(make([]byte, n)) }
	for _, ok := range []string{k(24), k(64), k(32) + " " + k(24), k(24) + " " + k(24) + "  " + k(24)} {
		if _, err := ParseRelaySecrets(ok); err != nil {
			t.Errorf("%v", err)
		}
	}
	for _, bad := range []string{"", k(23), k(65), strings.TrimPrefix(k(32), "whsec_"), k(24) + " " + k(24) + " " + k(24) + " " + k(24), "whsec_!!!"} {
		_, err := ParseRelaySecrets(bad)
		if err == nil {
			t.Errorf("%q accepted", bad)
		} else if bad != "" && strings.Contains(err.Error(), bad) {
			t.Errorf("error quotes the secret: %v", err)
		}
	}
}
