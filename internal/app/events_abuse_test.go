package app

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vaultgate/vaultgate/internal/testkit"
)

// signHex is the x-apideck-signature Apideck would send for body.
func signHex(body string) string {
	m := hmac.New(sha256.New, []byte(testAPIKey))
	m.Write([]byte(body))
	return hex.EncodeToString(m.Sum(nil))
}

// deliver posts body to the webhook path with sig (no header when empty)
// and returns the answer, its body read.
func (s *stack) deliver(t *testing.T, body, sig string) (*http.Response, []byte) {
	t.Helper()
	h := http.Header{"Content-Type": {"application/json"}}
	if sig != "" {
		h.Set("X-Apideck-Signature", sig)
	}
	return do(t, http.MethodPost, s.public+testWebhookPath, h, body)
}

// wantAcknowledged checks the plain 200 {} answer.
func wantAcknowledged(t *testing.T, res *http.Response, body []byte) {
	t.Helper()
	if res.StatusCode != http.StatusOK || string(body) != "{}" {
		t.Fatalf("answer %d %s, want 200 {}", res.StatusCode, body)
	}
}

// wantNoServerErrors checks that no access line so far reports a 5xx
// other than the SPEC's 503s, which carry a code.
func wantNoServerErrors(t *testing.T, s *stack) {
	t.Helper()
	for _, l := range s.logs.AccessLines(t) {
		status, _ := l["status"].(float64)
		if status >= 500 && (status != http.StatusServiceUnavailable || l["code"] == "") {
			t.Errorf("access line with a server error: %v", l)
		}
	}
}

// eventFor is a vault.connection event of consumer about unifiedAPI.
func eventFor(id, consumer, unifiedAPI string) string {
	return fmt.Sprintf(`{"payload":{"event_id":%q,"event_type":"vault.connection.updated","occurred_at":%q,`+
		`"entity":{"consumer_id":%q,"unified_api":%q,"service_id":"salesforce","state":"callable"}}}`,
		id, time.Now().UTC().Format(time.RFC3339), consumer, unifiedAPI)
}

// relayApp is the app's endpoint for relayed events; answer decides how it
// answers and can be switched while it runs.
type relayApp struct {
	srv    *httptest.Server
	answer atomic.Pointer[http.HandlerFunc]
	mu     sync.Mutex
	hits   map[string]int // requests by webhook-id
	away   atomic.Int64   // requests to any other path (a followed redirect)
}

func startRelayApp(t *testing.T) *relayApp {
	a := &relayApp{hits: map[string]int{}}
	a.set(func(http.ResponseWriter, *http.Request) {})
	a.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/events" {
			a.away.Add(1)
			return
		}
		a.mu.Lock()
		a.hits[r.Header.Get("webhook-id")]++
		a.mu.Unlock()
		(*a.answer.Load())(w, r)
	}))
	t.Cleanup(a.srv.Close)
	return a
}

func (a *relayApp) set(h http.HandlerFunc) { a.answer.Store(&h) }

func (a *relayApp) count(id string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.hits[id]
}

// hijack answers with raw bytes and then closes the connection.
func hijack(raw string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		_, _ = buf.WriteString(raw)
		_ = buf.Flush()
		_ = conn.Close()
	}
}

// TestRelayFailuresAreRetriedByApideck points the relay at an app that
// hangs, redirects, fails or hangs up: each delivery is answered 503
// relay_failed with Retry-After 180, the event still reaches the open
// stream, its id is not remembered (a redelivery is relayed and pushed
// again), and the relay metric names the failure. Then a relay that
// succeeds is remembered: its replay changes nothing.
func TestRelayFailuresAreRetriedByApideck(t *testing.T) {
	app := startRelayApp(t)
	s := startStack(t, eventsEnv(map[string]string{"EVENTS_RELAY_URL": app.srv.URL + "/events",
		"EVENTS_RELAY_SECRET": testRelaySecret, "EVENTS_RELAY_TIMEOUT": "1s"}))
	tok := s.token(t)
	ch, _ := s.openStream(t, http.DefaultClient, tok)
	nextEvent(t, ch)
	secrets := []string{testAPIKey, testRelaySecret, tok, "instance_url"}
	post := func(t *testing.T, body string) (*http.Response, []byte) {
		sig := signHex(body)
		secrets = append(secrets, sig)
		return s.deliver(t, body, sig)
	}

	cases := []struct {
		name, outcome string
		answer        http.HandlerFunc
	}{
		{"hangs beyond EVENTS_RELAY_TIMEOUT", "timeout", func(_ http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body) // then the server notices vaultgate leave
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		}},
		{"answers 302", "redirect", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/moved", http.StatusFound)
		}},
		{"answers 500", "status", func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusInternalServerError)
		}},
		{"closes before answering", "network", hijack("")},
		{"closes mid-headers", "network", hijack("HTTP/1.1 200 OK\r\nContent-Le")},
		{"closes mid-body", "network", hijack("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"rec")},
	}
	failed := map[string]float64{}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			app.set(tc.answer)
			id := fmt.Sprint("evt-relay-fail-", i)
			body := connectionEvent(id, "callable")
			for attempt := 1; attempt <= 2; attempt++ {
				res, b := post(t, body)
				testkit.WantProblem(t, res, http.StatusServiceUnavailable, "relay_failed")
				if got := res.Header.Get("Retry-After"); got != "180" {
					t.Errorf("attempt %d: Retry-After %q, want 180", attempt, got)
				}
				if strings.Contains(string(b), "signature") {
					t.Errorf("the answer names signatures: %s", b)
				}
				if ev := nextConnection(t, ch); ev.id != id {
					t.Fatalf("attempt %d pushed %+v, want %s", attempt, ev, id)
				}
				if got := app.count(id); got != attempt {
					t.Fatalf("attempt %d: the app saw %d requests", attempt, got)
				}
			}
			failed[tc.outcome] += 2
			wantMetric(t, s.admin, fmt.Sprintf(`vaultgate_relay_requests_total{outcome=%q}`, tc.outcome), failed[tc.outcome])
		})
	}
	if n := app.away.Load(); n != 0 {
		t.Errorf("a redirect was followed %d times", n)
	}

	t.Run("a replay after success changes nothing", func(t *testing.T) {
		app.set(func(http.ResponseWriter, *http.Request) {})
		body := connectionEvent("evt-relay-ok", "callable")
		for range 2 {
			res, b := post(t, body)
			wantAcknowledged(t, res, b)
		}
		if ev := nextConnection(t, ch); ev.id != "evt-relay-ok" {
			t.Fatalf("pushed %+v", ev)
		}
		// The next message is a later event, not the replay.
		next := connectionEvent("evt-relay-next", "updated")
		res, b := post(t, next)
		wantAcknowledged(t, res, b)
		if ev := nextConnection(t, ch); ev.id != "evt-relay-next" {
			t.Fatalf("after the replay the stream got %+v", ev)
		}
		if got := app.count("evt-relay-ok"); got != 1 {
			t.Errorf("the replay was relayed: %d requests", got)
		}
		wantMetric(t, s.admin, `vaultgate_webhooks_total{outcome="duplicate"}`, 1)
		wantMetric(t, s.admin, `vaultgate_relay_requests_total{outcome="ok"}`, 2)
	})

	t.Run("events for others are relayed, not pushed here", func(t *testing.T) {
		ids := []string{"evt-other-consumer", "evt-outside-apis", "evt-no-entity", "evt-no-consumer"}
		bodies := []string{
			eventFor(ids[0], "org_other", "crm"),
			eventFor(ids[1], "org_acme", "hris"), // VAULT_UNIFIED_APIS is crm,accounting
			fmt.Sprintf(`{"payload":{"event_id":%q,"event_type":"vault.connection.created"}}`, ids[2]),
			fmt.Sprintf(`{"payload":{"event_id":%q,"event_type":"vault.connection.created","entity":{"unified_api":"crm","service_id":"salesforce"}}}`, ids[3]),
		}
		for i, body := range bodies {
			res, b := post(t, body)
			wantAcknowledged(t, res, b)
			if app.count(ids[i]) != 1 {
				t.Errorf("%s not relayed", ids[i])
			}
		}
		last := eventFor("evt-for-acme", "org_acme", "accounting")
		res, b := post(t, last)
		wantAcknowledged(t, res, b)
		if ev := nextConnection(t, ch); ev.id != "evt-for-acme" {
			t.Fatalf("the stream got %+v, want only org_acme's event", ev)
		}
	})

	wantNoServerErrors(t, s)
	s.logs.WantNoSecrets(t, secrets...)
}

// TestSlowRelayOutlastingWriteTimeout gives the relay longer than the
// server's write timeout (APIDECK_TIMEOUT + AUTH_FORWARD_TIMEOUT + 5 s,
// counted from the request's headers): Apideck must still get its 503,
// not a dropped connection.
func TestSlowRelayOutlastingWriteTimeout(t *testing.T) {
	if testing.Short() {
		t.Skip("waits 6 s for the relay timeout")
	}
	t.Parallel()
	app := startRelayApp(t)
	app.set(func(_ http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		<-r.Context().Done()
	})
	s := startStack(t, eventsEnv(map[string]string{"EVENTS_RELAY_URL": app.srv.URL + "/events",
		"EVENTS_RELAY_SECRET": testRelaySecret, "EVENTS_RELAY_TIMEOUT": "6s",
		"APIDECK_TIMEOUT": "100ms", "AUTH_FORWARD_TIMEOUT": "100ms"}))
	body := connectionEvent("evt-slow-relay", "callable")
	start := time.Now()
	res, _ := s.deliver(t, body, signHex(body))
	testkit.WantProblem(t, res, http.StatusServiceUnavailable, "relay_failed")
	t.Logf("answered after %v", time.Since(start))
	wantMetric(t, s.admin, `vaultgate_relay_requests_total{outcome="timeout"}`, 1)
}
