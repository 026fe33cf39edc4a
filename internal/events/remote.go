package events

import (
	"context"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
)

// channelLabel is the HKDF label of the key that names Redis channels:
// the API key itself is an HMAC key only for Apideck's signatures.
const channelLabel = "vaultgate events channel"

// maxEchoes bounds the publishes awaiting their own echo from Redis.
const maxEchoes = 10_000

// wireMessage is what travels through Redis: the view and the webhook-id, never a body.
type wireMessage struct {
	ID   string          `json:"id"`
	Data json.RawMessage `json:"data"`
}

// remote carries events between replicas over Redis pub/sub, with one
// subscriber connection per process subscribed to the channels of the
// consumers with streams open here.
type remote struct {
	h      *hub
	client redis.UniversalClient
	ps     *redis.PubSub
	key    []byte
	log    zerolog.Logger
	errors prometheus.Counter

	syncMu     sync.Mutex          // serialises SUBSCRIBE/UNSUBSCRIBE
	subscribed map[string]struct{} // consumers whose channel is subscribed; guarded by syncMu

	mu        sync.Mutex
	confirmed map[string]bool      // consumer → Redis confirmed its channel
	echoes    map[string]echoCount // own publishes whose echo is to be dropped
	done      chan struct{}
}

type echoCount struct {
	n  int
	at time.Time
}

func newRemote(h *hub, client redis.UniversalClient, apiKey string, errs prometheus.Counter, log zerolog.Logger) (*remote, error) {
	key, err := hkdf.Key(sha256.New, []byte(apiKey), nil, channelLabel, sha256.Size)
	if err != nil {
		return nil, err
	}
	r := &remote{h: h, client: client, ps: client.Subscribe(context.Background()), key: key, log: log,
		errors: errs, subscribed: make(map[string]struct{}), confirmed: make(map[string]bool),
		echoes: make(map[string]echoCount), done: make(chan struct{})}
	go r.receive(r.ps.ChannelWithSubscriptions())
	return r, nil
}

// channel names consumer's channel without revealing the consumer id.
func (r *remote) channel(consumer string) string {
	m := hmac.New(sha256.New, r.key)
	m.Write([]byte(consumer))
	return "vaultgate:events:" + hex.EncodeToString(m.Sum(nil))
}

// sync subscribes or unsubscribes consumer's channel to match whether
// streams of it are open here. Calls may come in any order: each one
// reconciles with the current state.
func (r *remote) sync(consumer string) {
	r.syncMu.Lock()
	defer r.syncMu.Unlock()
	want := r.h.wants(consumer)
	_, have := r.subscribed[consumer]
	ctx, cancel := context.WithTimeout(context.Background(), redisTimeout)
	defer cancel()
	var err error
	switch {
	case want && !have:
		r.subscribed[consumer] = struct{}{}
		// Kept even when this fails: the client resubscribes on reconnect.
		err = r.ps.Subscribe(ctx, r.channel(consumer))
	case !want && have:
		delete(r.subscribed, consumer)
		r.mu.Lock()
		delete(r.confirmed, consumer)
		r.mu.Unlock()
		err = r.ps.Unsubscribe(ctx, r.channel(consumer))
	}
	if err != nil {
		r.failed(err, "subscribing to events in Redis failed; this replica's events still reach its streams")
	}
}

// isConfirmed reports whether Redis has confirmed consumer's channel.
func (r *remote) isConfirmed(consumer string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.confirmed[consumer]
}

// receive handles what Redis sends until the subscriber is closed.
func (r *remote) receive(ch <-chan any) {
	defer close(r.done)
	consumers := make(map[string]string) // channel → consumer, learned from sync
	for msg := range ch {
		switch m := msg.(type) {
		case *redis.Subscription:
			if m.Kind != "subscribe" {
				continue
			}
			consumer, ok := r.consumerOf(m.Channel, consumers)
			if !ok {
				continue
			}
			r.mu.Lock()
			r.confirmed[consumer] = true
			r.mu.Unlock()
			r.h.readyAll(consumer)
		case *redis.Message:
			consumer, ok := r.consumerOf(m.Channel, consumers)
			var w wireMessage
			if !ok || json.Unmarshal([]byte(m.Payload), &w) != nil || r.ownEcho(m.Channel, w.ID) {
				continue
			}
			r.h.deliver(consumer, w.ID, w.Data)
		}
	}
}

// consumerOf maps a channel back to the consumer subscribed to it here.
func (r *remote) consumerOf(channel string, cache map[string]string) (string, bool) {
	if c, ok := cache[channel]; ok {
		return c, true
	}
	r.syncMu.Lock()
	defer r.syncMu.Unlock()
	clear(cache) // keeps the cache to the consumers subscribed now
	for c := range r.subscribed {
		cache[r.channel(c)] = c
	}
	c, ok := cache[channel]
	return c, ok
}

// publish sends an event to the other replicas; its echo here is dropped,
// as the event was delivered here already.
func (r *remote) publish(consumer, id string, data []byte) {
	ch := r.channel(consumer)
	payload, _ := json.Marshal(wireMessage{ID: id, Data: data})
	echo := ch + " " + id
	r.mu.Lock()
	watched := r.confirmed[consumer]
	if watched {
		now := time.Now()
		if len(r.echoes) >= maxEchoes {
			for k, e := range r.echoes {
				if now.Sub(e.at) > time.Minute {
					delete(r.echoes, k)
				}
			}
		}
		if len(r.echoes) < maxEchoes {
			e := r.echoes[echo]
			r.echoes[echo] = echoCount{n: e.n + 1, at: now}
		}
	}
	r.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), redisTimeout)
	defer cancel()
	if err := r.client.Publish(ctx, ch, payload).Err(); err != nil {
		if watched {
			r.ownEcho(ch, id) // no echo is coming
		}
		r.failed(err, "publishing an event to Redis failed; other replicas' streams miss it")
	}
}

// ownEcho reports (once per publish) whether a message is this replica's own.
func (r *remote) ownEcho(channel, id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	k := channel + " " + id
	e, ok := r.echoes[k]
	switch {
	case !ok:
		return false
	case e.n > 1:
		e.n--
		r.echoes[k] = e
	default:
		delete(r.echoes, k)
	}
	return true
}

func (r *remote) failed(err error, msg string) {
	r.errors.Inc()
	r.log.Warn().Err(err).Msg(msg)
}

// close ends the subscriber connection and waits for receive to return.
func (r *remote) close() {
	_ = r.ps.Close()
	<-r.done
}
