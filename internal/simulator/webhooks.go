package simulator

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

const (
	// webhookQueueSize bounds events waiting for delivery; beyond it new
	// events are dropped (and logged), never blocking the Vault page.
	webhookQueueSize = 256
	webhookTimeout   = 10 * time.Second
	// vaultEventPrefix is what every Vault connection event type starts with.
	vaultEventPrefix = "vault.connection."
)

// Errors of SendEvent besides a failed delivery.
var (
	ErrNoWebhookURL     = errors.New("simulator: no webhook URL configured")
	ErrInvalidEventType = errors.New("simulator: event type must be vault.connection.<event>")
)

// event is one signed delivery, ready to send.
type event struct {
	eventType string
	body      []byte
}

// webhooks delivers events in the background: at most one sender
// goroutine, started when an event is queued and ending when the queue is
// empty, so an idle simulator holds no goroutine.
type webhooks struct {
	apiKey  string
	base64  bool
	client  *http.Client
	log     *log.Logger
	mu      sync.Mutex
	url     string
	queue   []event
	sending bool
}

func newWebhooks(apiKey, target, encoding string, logger *log.Logger) *webhooks {
	if logger == nil {
		logger = log.New(io.Discard, "", 0)
	}
	return &webhooks{
		apiKey: apiKey,
		base64: encoding == "base64",
		url:    target,
		log:    logger,
		client: &http.Client{
			Timeout: webhookTimeout,
			// A receiver that redirects has failed the delivery, as at Apideck.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
}

func checkWebhookConfig(target, encoding string) error {
	var errs []error
	if target != "" {
		if u, err := url.Parse(target); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
			errs = append(errs, errors.New("WebhookURL must be an absolute http(s) URL"))
		}
	}
	if encoding != "" && encoding != "hex" && encoding != "base64" {
		errs = append(errs, errors.New(`WebhookEncoding must be "hex" or "base64"`))
	}
	return errors.Join(errs...)
}

// SetWebhookURL sets where events go ("" stops sending), so a test can
// start its receiver after the simulator.
func (s *Simulator) SetWebhookURL(target string) error {
	if err := checkWebhookConfig(target, ""); err != nil {
		return fmt.Errorf("simulator: %w", err)
	}
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	s.hooks.url = target
	return nil
}

// enqueue queues ev for background delivery when a URL is set.
func (h *webhooks) enqueue(ev event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.url == "" {
		return
	}
	if len(h.queue) >= webhookQueueSize {
		h.log.Printf("simulator: webhook queue full, %s dropped", ev.eventType)
		return
	}
	h.queue = append(h.queue, ev)
	if !h.sending {
		h.sending = true
		go h.drain()
	}
}

func (h *webhooks) drain() {
	for {
		h.mu.Lock()
		if len(h.queue) == 0 {
			h.sending = false
			h.mu.Unlock()
			return
		}
		ev, target := h.queue[0], h.url
		h.queue = h.queue[1:]
		h.mu.Unlock()
		if target == "" {
			continue
		}
		if err := h.deliver(context.Background(), target, ev); err != nil {
			h.log.Printf("simulator: webhook %s not delivered: %v", ev.eventType, err)
		}
	}
}

// deliver POSTs ev signed as Apideck signs: HMAC-SHA256 keyed with the API
// key over exactly the bytes sent.
func (h *webhooks) deliver(ctx context.Context, target string, ev event) error {
	ctx, cancel := context.WithTimeout(ctx, webhookTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(ev.body))
	if err != nil {
		return errors.New("invalid webhook URL")
	}
	mac := hmac.New(sha256.New, []byte(h.apiKey))
	mac.Write(ev.body)
	sig := hex.EncodeToString(mac.Sum(nil))
	if h.base64 {
		sig = base64.StdEncoding.EncodeToString(mac.Sum(nil))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-apideck-signature", sig)
	req.Header.Set("x-apideck-event-type", ev.eventType)
	req.Header.Set("x-apideck-idempotency-key", newUUID())
	resp, err := h.client.Do(req)
	if err != nil {
		// The URL may carry a secret path: report the cause only.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("receiver answered %d", resp.StatusCode)
	}
	return nil
}

// SendEvent delivers one event of eventType (vault.connection.*) for the
// consumer's connection to a catalogue connector now, in its current
// state, and reports whether the receiver answered 2xx.
func (s *Simulator) SendEvent(ctx context.Context, consumerID, unifiedAPI, serviceID, eventType string) error {
	c, ok := lookupConnector(unifiedAPI, serviceID)
	if !ok {
		return ErrUnknownConnector
	}
	if rest, ok := strings.CutPrefix(eventType, vaultEventPrefix); !ok || rest == "" || len(eventType) > 64 ||
		strings.Trim(rest, "abcdefghijklmnopqrstuvwxyz_.") != "" {
		return ErrInvalidEventType
	}
	s.hooks.mu.Lock()
	target := s.hooks.url
	s.hooks.mu.Unlock()
	if target == "" {
		return ErrNoWebhookURL
	}
	var l *link
	if got, ok := s.store.links(consumerKey{s.appID, consumerID})[c.ID()]; ok {
		l = &got
	}
	if err := s.hooks.deliver(ctx, target, s.newEvent(consumerID, c, l, eventType)); err != nil {
		return fmt.Errorf("simulator: webhook: %w", err)
	}
	return nil
}

// stageState is the entity state an event reports: a first connect passes
// through added and authorized before callable.
func stageState(eventType string, l *link) string {
	switch {
	case l == nil:
		return "available"
	case eventType == vaultEventPrefix+"created":
		return "added"
	case eventType == vaultEventPrefix+"updated":
		return "authorized"
	}
	return "callable"
}

// newEvent builds Apideck's envelope for a Vault connection event. Built
// from maps, encoding/json writes every object's keys sorted, the form
// Apideck signs; HTML characters are left unescaped as JSON.stringify does.
func (s *Simulator) newEvent(consumerID string, c Connector, l *link, eventType string) event {
	entity := s.connectionView(c, l, stageState(eventType, l))
	for _, k := range []string{"created_at", "updated_at", "credentials_expire_at"} {
		if ms, ok := entity[k].(int64); ok {
			entity[k] = time.UnixMilli(ms).UTC().Format(isoMillis)
		}
	}
	entity["consumer_id"] = consumerID
	body := map[string]any{"payload": map[string]any{
		"event_id":          newUUID(),
		"event_type":        eventType,
		"service_id":        "apideck-vault",
		"entity_id":         c.ID(),
		"entity_type":       "Connection",
		"entity":            entity,
		"execution_attempt": 1,
		"occurred_at":       time.Now().UTC().Format(isoMillis),
	}}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(body) // maps of strings, numbers and bools always encode
	return event{eventType: eventType, body: bytes.TrimSuffix(buf.Bytes(), []byte("\n"))}
}

// newUUID is a random version 4 UUID, the form of Apideck's event ids.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
