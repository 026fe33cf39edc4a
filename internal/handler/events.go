package handler

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/vaultgate/vaultgate/internal/events"
)

// Events receives Apideck's webhooks and opens event streams (events.Service).
type Events interface {
	Receive(ctx context.Context, d events.Delivery) (events.Result, error)
	Subscribe(consumer, user string) (*events.Stream, error)
}

// Stream bounds (see README, Connection events).
const (
	pingEvery         = 15 * time.Second
	streamWriteWait   = 10 * time.Second
	webhookWriteWait  = 10 * time.Second
	refusedBodyGrace  = time.Second
	streamLifetimeMin = 50 * time.Minute
	streamLifetimeMax = 60 * time.Minute
	retryMinMillis    = 2000
	retryMaxMillis    = 10000
	// streamsRetryAfter is what a client refused for too many streams is told.
	streamsRetryAfter = 5 * time.Second
)

// handleWebhook serves POST {APIDECK_WEBHOOK_PATH}: no user, no CORS; the
// events package verifies, dedupes, pushes and relays.
func handleWebhook(d Deps) endpoint {
	return func(w http.ResponseWriter, r *http.Request) (outcome, error) {
		out := outcome{webhook: true}
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			return out, &refusal{code: codeMethodNotAllowed}
		}
		// The body must arrive within 10 s of the headers; a slower one is cut off.
		rc := http.NewResponseController(w)
		_ = rc.SetReadDeadline(time.Now().Add(events.BodyTimeout))
		body := &bodyReader{r: r.Body}
		res, err := d.Events.Receive(r.Context(), events.Delivery{
			IP:        clientIP(r, d.Connect.TrustedProxyHops, d.Connect.TrustedProxyCIDRs),
			Signature: r.Header.Values("X-Apideck-Signature"),
			Body:      body,
			Size:      r.ContentLength,
		})
		// The body's time and the relay's may outlast the server's write
		// timeout, which counts from the headers: the answer gets its own.
		_ = rc.SetWriteDeadline(time.Now().Add(webhookWriteWait))
		out.eventType, out.webhookID, out.sigForm = res.EventType, res.WebhookID, res.Form
		out.consumerID, out.upstreamStatus, out.upstreamDuration = res.ConsumerID, res.RelayStatus, res.RelayTime
		if !body.done && r.ContentLength != 0 {
			// A body refused unread: net/http would otherwise wait for it
			// before answering, to reuse the connection. After the answer
			// it still drops up to 256 KiB of it; that gets a second, so the
			// client can read the answer before the hang-up.
			w.Header().Set("Connection", "close")
			_ = rc.SetReadDeadline(time.Now().Add(refusedBodyGrace))
		}
		if err != nil {
			return out, webhookRefusal(err, res.RetryAfter)
		}
		w.Header().Set("Content-Type", contentTypeJSON)
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte("{}"))
		return out, nil
	}
}

// bodyReader notes whether the request body was read to its end.
type bodyReader struct {
	r    io.Reader
	done bool
}

func (b *bodyReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.done = b.done || err == io.EOF
	return n, err
}

// handleEvents serves GET /connections/events: a Server-Sent Events stream
// of the signed-in user's consumer's connection events. It passes the gate
// like /connect but is not counted by the per-user limit (it makes no
// upstream call), and writes with its own deadlines, not the server's.
func handleEvents(d Deps, g *gate) endpoint {
	return func(w http.ResponseWriter, r *http.Request) (outcome, error) {
		var out outcome
		id, c, err := g.pass(r, &out, checks{prefetch: true})
		if err != nil {
			return out, err
		}
		st, err := d.Events.Subscribe(c.ID, id.Subject)
		if err != nil {
			return out, &refusal{code: codeTooManyStreams, retryAfter: streamsRetryAfter, cause: err}
		}
		defer st.Close()
		h := w.Header()
		h.Set("Content-Type", "text/event-stream")
		h.Set("X-Accel-Buffering", "no") // nginx would otherwise hold messages back
		w.WriteHeader(http.StatusOK)
		rc := http.NewResponseController(w)
		// The server's read timeout would cancel a long stream's context;
		// the client sends nothing more, and the stream ends by itself.
		_ = rc.SetReadDeadline(time.Time{})
		send := func(s string) bool {
			_ = rc.SetWriteDeadline(time.Now().Add(streamWriteWait))
			if _, err := fmt.Fprint(w, s); err != nil {
				return false
			}
			return rc.Flush() == nil
		}
		// Jittered, so a restart's reconnections spread out.
		if !send(fmt.Sprintf("retry: %d\n\n", retryMinMillis+rand.IntN(retryMaxMillis-retryMinMillis+1))) {
			return out, nil
		}
		life := streamLifetimeMin + rand.N(streamLifetimeMax-streamLifetimeMin)
		if !id.Expires.IsZero() {
			life = min(life, time.Until(id.Expires))
		}
		end := time.NewTimer(life)
		defer end.Stop()
		ping := time.NewTicker(pingEvery)
		defer ping.Stop()
		for {
			var ok bool
			select {
			case m := <-st.C:
				msg := "event: " + m.Kind + "\ndata: " + string(m.Data) + "\n\n"
				if m.ID != "" {
					msg = "id: " + m.ID + "\n" + msg
				}
				ok = send(msg)
			case <-ping.C:
				ok = send(": ping\n\n")
			case <-st.Done:
			case <-end.C:
			case <-r.Context().Done():
			}
			if !ok {
				return out, nil
			}
		}
	}
}
