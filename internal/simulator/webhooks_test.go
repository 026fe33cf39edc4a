package simulator

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/vaultgate/vaultgate/internal/testkit"
)

// delivery is one webhook request as the receiver saw it.
type delivery struct {
	header http.Header
	body   []byte
}

// receiver is a loopback webhook endpoint: it records deliveries and
// answers status; while hold is open it keeps each request waiting.
type receiver struct {
	srv    *httptest.Server
	got    chan delivery
	status int
	hold   chan struct{}
}

func startReceiver(t *testing.T, status int, hold chan struct{}) *receiver {
	t.Helper()
	rc := &receiver{got: make(chan delivery, 1000), status: status, hold: hold}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rc.got <- delivery{header: r.Header.Clone(), body: b}
		if rc.hold != nil {
			select {
			case <-rc.hold:
			case <-r.Context().Done():
			}
		}
		w.WriteHeader(rc.status)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) next(t *testing.T) delivery {
	t.Helper()
	select {
	case d := <-rc.got:
		return d
	case <-time.After(10 * time.Second):
		t.Fatal("no webhook delivered")
		return delivery{}
	}
}

// startHookedSim serves a simulator that sends webhooks to rc.
func startHookedSim(t *testing.T, rc *receiver, encoding string, logTo io.Writer) (*Simulator, *httptest.Server) {
	t.Helper()
	sim, err := New(Config{APIKey: testKey, AppID: testApp, WebhookURL: rc.srv.URL + "/hooks/secret-path",
		WebhookEncoding: encoding, ErrorLog: log.New(logTo, "", 0)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	t.Cleanup(sim.Reset)
	sim.SetVaultOrigin(srv.URL)
	return sim, srv
}

type envelope struct {
	Payload struct {
		EventID          string         `json:"event_id"`
		EventType        string         `json:"event_type"`
		ServiceID        string         `json:"service_id"`
		EntityID         string         `json:"entity_id"`
		EntityType       string         `json:"entity_type"`
		Entity           map[string]any `json:"entity"`
		ExecutionAttempt int            `json:"execution_attempt"`
		OccurredAt       string         `json:"occurred_at"`
	} `json:"payload"`
}

// checkDelivery verifies what every delivery must be and returns its envelope.
func checkDelivery(t *testing.T, d delivery, base64Sig bool) envelope {
	t.Helper()
	mac := hmac.New(sha256.New, []byte(testKey))
	mac.Write(d.body)
	want := hex.EncodeToString(mac.Sum(nil))
	if base64Sig {
		want = base64.StdEncoding.EncodeToString(mac.Sum(nil))
	}
	if got := d.header.Get("x-apideck-signature"); got != want {
		t.Errorf("x-apideck-signature = %q, want %q", got, want)
	}
	if ct := d.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	// The bytes are the sorted-keys serialisation Apideck signs: decoding
	// and re-encoding (maps sort keys) gives them back exactly.
	var v any
	if err := json.Unmarshal(d.body, &v); err != nil {
		t.Fatalf("body is not JSON: %v", err)
	}
	var again bytes.Buffer
	enc := json.NewEncoder(&again)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	if !bytes.Equal(bytes.TrimSpace(again.Bytes()), d.body) {
		t.Errorf("body is not in canonical sorted form:\n%s", d.body)
	}
	e := decode[envelope](t, d.body)
	p := e.Payload
	if d.header.Get("x-apideck-event-type") != p.EventType || d.header.Get("x-apideck-idempotency-key") == "" {
		t.Errorf("headers %v for event %s", d.header, p.EventType)
	}
	if len(p.EventID) != 36 || p.ServiceID != "apideck-vault" || p.EntityType != "Connection" || p.ExecutionAttempt != 1 {
		t.Errorf("payload %+v", p)
	}
	if at, err := time.Parse(time.RFC3339, p.OccurredAt); err != nil || !strings.HasSuffix(p.OccurredAt, "Z") || time.Since(at) > time.Minute {
		t.Errorf("occurred_at = %q", p.OccurredAt)
	}
	return e
}

func TestWebhooksFollowTheVaultPage(t *testing.T) {
	rc := startReceiver(t, http.StatusOK, nil)
	sim, srv := startHookedSim(t, rc, "", io.Discard)
	_, uri := createSession(t, srv.URL, `{"settings":{"unified_apis":["crm"]}}`)
	submit(t, uri, "crm", Salesforce, "connect", nil)

	keys := map[string]bool{}
	for _, want := range []struct{ event, state string }{
		{"vault.connection.created", "added"},
		{"vault.connection.updated", "authorized"},
		{"vault.connection.callable", "callable"},
	} {
		d := rc.next(t)
		e := checkDelivery(t, d, false)
		keys[d.header.Get("x-apideck-idempotency-key")] = true
		ent := e.Payload.Entity
		if e.Payload.EventType != want.event || e.Payload.EntityID != "crm+salesforce" || ent["state"] != want.state ||
			ent["consumer_id"] != testOwner || ent["unified_api"] != "crm" || ent["service_id"] != Salesforce ||
			ent["enabled"] != true || ent["health"] != "ok" {
			t.Errorf("%s: payload %+v", want.event, e.Payload)
		}
		if _, err := time.Parse(time.RFC3339, ent["created_at"].(string)); err != nil {
			t.Errorf("entity created_at = %v, want an ISO string", ent["created_at"])
		}
		if ent["settings"] == nil || ent["metadata"] == nil {
			t.Errorf("entity lacks settings or metadata: %v", ent)
		}
	}
	if len(keys) != 3 {
		t.Errorf("idempotency keys %v, want 3 distinct", keys)
	}

	// A re-authorisation of an existing connection: updated, callable.
	if err := sim.Connect(testOwner, "crm", Salesforce); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"vault.connection.updated", "vault.connection.callable"} {
		if e := checkDelivery(t, rc.next(t), false); e.Payload.EventType != want {
			t.Errorf("re-authorisation sent %s, want %s", e.Payload.EventType, want)
		}
	}

	// Disconnecting through the API sends deleted as the page does.
	if r := do(t, http.MethodDelete, srv.URL+"/vault/connections/crm/salesforce", validHeaders()); r.status != 204 {
		t.Fatalf("DELETE: %d", r.status)
	}
	e := checkDelivery(t, rc.next(t), false)
	if e.Payload.EventType != "vault.connection.deleted" || e.Payload.Entity["state"] != "available" || e.Payload.Entity["enabled"] != false {
		t.Errorf("deleted: %+v", e.Payload)
	}
	select {
	case d := <-rc.got:
		t.Errorf("unexpected extra delivery %s", d.body)
	case <-time.After(50 * time.Millisecond):
	}
}

func TestWebhookBase64AndSendEvent(t *testing.T) {
	rc := startReceiver(t, http.StatusOK, nil)
	sim, _ := startHookedSim(t, rc, "base64", io.Discard)
	if err := sim.SendEvent(t.Context(), "org_9", "accounting", Xero, "vault.connection.token_refresh.failed"); err != nil {
		t.Fatal(err)
	}
	e := checkDelivery(t, rc.next(t), true)
	if e.Payload.EventType != "vault.connection.token_refresh.failed" || e.Payload.Entity["consumer_id"] != "org_9" ||
		e.Payload.Entity["state"] != "available" || e.Payload.Entity["created_at"] != nil {
		t.Errorf("payload %+v", e.Payload)
	}

	for _, tt := range []struct{ api, service, event string }{
		{"crm", "zoho", "vault.connection.created"},
		{"crm", Salesforce, "crm.contact.created"},
		{"crm", Salesforce, "vault.connection."},
		{"crm", Salesforce, "vault.connection.<x>"},
	} {
		if err := sim.SendEvent(t.Context(), testOwner, tt.api, tt.service, tt.event); err == nil {
			t.Errorf("SendEvent(%s/%s, %q) succeeded", tt.api, tt.service, tt.event)
		}
	}
	rc.status = http.StatusInternalServerError
	if err := sim.SendEvent(t.Context(), testOwner, "crm", Salesforce, "vault.connection.updated"); err == nil || !strings.Contains(err.Error(), "500") {
		t.Errorf("receiver answering 500: err %v", err)
	}
	if err := sim.SetWebhookURL(""); err != nil {
		t.Fatal(err)
	}
	if err := sim.SendEvent(t.Context(), testOwner, "crm", Salesforce, "vault.connection.updated"); !errors.Is(err, ErrNoWebhookURL) {
		t.Errorf("without a URL: %v", err)
	}
	if err := sim.SetWebhookURL("ftp://x"); err == nil {
		t.Error("SetWebhookURL accepted ftp")
	}
}

func TestWebhooksNeverBlockTheVaultPage(t *testing.T) {
	hold := make(chan struct{})
	rc := startReceiver(t, http.StatusOK, hold)
	var logs testkit.Buffer
	sim, srv := startHookedSim(t, rc, "", &logs)
	t.Cleanup(func() { close(hold) }) // runs before the receiver closes
	_, uri := createSession(t, srv.URL, `{"settings":{"unified_apis":["crm"]}}`)

	// The receiver holds the first delivery; connecting still answers.
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	form := strings.NewReader("unified_api=crm&service_id=salesforce&action=connect")
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, uri, form)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("the page waited for the webhook receiver: %v", err)
	}
	resp.Body.Close()
	rc.next(t) // the sender is now held

	// The queue is bounded: events beyond it are dropped and logged.
	for range webhookQueueSize/2 + 1 {
		if err := sim.Connect(testOwner, "crm", HubSpot); err != nil {
			t.Fatal(err)
		}
	}
	testkit.Eventually(t, "a dropped event logged", func() bool { return strings.Contains(logs.String(), "queue full") })
	if l := logs.String(); strings.Contains(l, "secret-path") || strings.Contains(l, testKey) {
		t.Errorf("log reveals the URL or key: %s", l)
	}
}

func TestWebhookFailuresAreLogged(t *testing.T) {
	rc := startReceiver(t, http.StatusUnauthorized, nil)
	var logs testkit.Buffer
	sim, _ := startHookedSim(t, rc, "", &logs)
	if err := sim.Connect(testOwner, "file-storage", GoogleDrive); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "three failures logged", func() bool { return strings.Count(logs.String(), "answered 401") == 3 })
	rc.srv.Close()
	if err := sim.Disconnect(testOwner, "file-storage", GoogleDrive); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "a transport failure logged", func() bool { return strings.Contains(logs.String(), "vault.connection.deleted not delivered") })
	if l := logs.String(); strings.Contains(l, "secret-path") || strings.Contains(l, "payload") {
		t.Errorf("log reveals the URL or a body: %s", l)
	}
}

func TestWebhookConfigIsChecked(t *testing.T) {
	for _, cfg := range []Config{
		{APIKey: testKey, AppID: testApp, WebhookURL: "not a url"},
		{APIKey: testKey, AppID: testApp, WebhookURL: "http://user:pw@127.0.0.1/"},
		{APIKey: testKey, AppID: testApp, WebhookEncoding: "base32"},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v) succeeded", cfg)
		}
	}
}
