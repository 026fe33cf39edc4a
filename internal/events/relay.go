package events

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// maxRelayAnswer is how much of the app's answer is read (and then
// dropped: it is never logged).
const maxRelayAnswer = 4 << 10

// relay posts verified events to the app in the Standard Webhooks format.
type relay struct {
	url     string
	signers []*standardwebhooks.Webhook
	client  *http.Client
	now     func() time.Time
}

// ParseRelaySecrets checks EVENTS_RELAY_SECRET: 1–3 space-separated
// Standard Webhooks secrets, each whsec_ and the base64 of 24–64 bytes.
// Its error never holds a secret.
func ParseRelaySecrets(s string) ([]*standardwebhooks.Webhook, error) {
	fields := strings.Fields(s)
	if len(fields) < 1 || len(fields) > 3 {
		return nil, fmt.Errorf("holds %d secrets; want 1 to 3, space-separated", len(fields))
	}
	var out []*standardwebhooks.Webhook
	for i, f := range fields {
		b64, ok := strings.CutPrefix(f, "whsec_")
		key, err := base64.StdEncoding.DecodeString(b64)
		if !ok || err != nil || len(key) < 24 || len(key) > 64 {
			return nil, fmt.Errorf("secret %d is not whsec_ followed by the base64 of 24 to 64 bytes", i+1)
		}
		w, err := standardwebhooks.NewWebhookRaw(key)
		if err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, nil
}

func newRelay(url string, signers []*standardwebhooks.Webhook, timeout time.Duration) *relay {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = maxInFlight
	t.MaxConnsPerHost = maxInFlight
	t.ResponseHeaderTimeout = timeout
	return &relay{
		url:     url,
		signers: signers,
		now:     time.Now,
		client: &http.Client{
			Transport: t,
			Timeout:   timeout,
			// A redirect is a failure: the event must reach the configured URL.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
}

// Relay outcomes, the labels of vaultgate_relay_requests_total.
const (
	relayOK       = "ok"
	relayStatus   = "status"
	relayRedirect = "redirect"
	relayTimeout  = "timeout"
	relayNetwork  = "network"
)

// send posts body once. It returns the app's status (0 without one) and
// the outcome label; err is nil only for a 2xx.
func (r *relay) send(ctx context.Context, id, eventType string, body []byte) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.url, bytes.NewReader(body))
	if err != nil {
		return 0, relayNetwork, err
	}
	now := r.now()
	sigs := make([]string, len(r.signers))
	for i, s := range r.signers {
		if sigs[i], err = s.Sign(id, now, body); err != nil {
			return 0, relayNetwork, err
		}
	}
	h := req.Header
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "vaultgate")
	h.Set("x-apideck-event-type", eventType)
	h.Set(standardwebhooks.HeaderWebhookID, id)
	h.Set(standardwebhooks.HeaderWebhookTimestamp, strconv.FormatInt(now.Unix(), 10))
	h.Set(standardwebhooks.HeaderWebhookSignature, strings.Join(sigs, " "))
	resp, err := r.client.Do(req)
	if err != nil {
		if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() || errors.Is(err, context.DeadlineExceeded) {
			return 0, relayTimeout, errors.New("relay: no answer in time")
		}
		// Do's error quotes the URL, which may carry a token of the app's.
		return 0, relayNetwork, errors.New("relay: request failed")
	}
	_, readErr := io.Copy(io.Discard, io.LimitReader(resp.Body, maxRelayAnswer))
	_ = resp.Body.Close()
	switch {
	case readErr != nil:
		// An answer cut off (or not finished in time) is no acceptance:
		// the app may have crashed before keeping the event.
		if ne, ok := errors.AsType[net.Error](readErr); ok && ne.Timeout() || errors.Is(readErr, context.DeadlineExceeded) {
			return resp.StatusCode, relayTimeout, errors.New("relay: answer not finished in time")
		}
		return resp.StatusCode, relayNetwork, errors.New("relay: answer cut off")
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return resp.StatusCode, relayOK, nil
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		return resp.StatusCode, relayRedirect, fmt.Errorf("relay: answered %d", resp.StatusCode)
	}
	return resp.StatusCode, relayStatus, fmt.Errorf("relay: answered %d", resp.StatusCode)
}
