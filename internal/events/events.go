package events

import (
	"context"
	"errors"
	"io"
	"runtime"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/vaultgate/vaultgate/internal/upstream"
)

const (
	// MaxBody is the largest webhook body read.
	MaxBody = 256 << 10
	// BodyTimeout is how long a webhook body may take to arrive.
	BodyTimeout = 10 * time.Second
	// verifyWait is how long a webhook waits for a verification slot.
	verifyWait = time.Second
	// maxInFlight bounds the verified events being pushed and relayed at once.
	maxInFlight = 64
	// failLimit failed verifications a minute from one IP, then 429s.
	failLimit = 60
	// maxFailIPs bounds the addresses whose failures are counted.
	maxFailIPs = 100_000
	// relayRetryAfter asks Apideck to deliver again after a failed relay;
	// its own retries (up to 24 h) are the queue.
	relayRetryAfter = 180 * time.Second
)

// Webhook outcomes, the labels of vaultgate_webhooks_total.
const (
	OutcomeAccepted         = "accepted"
	OutcomeInvalidSignature = "invalid_signature"
	OutcomeInvalid          = "invalid"
	OutcomeTooLarge         = "too_large"
	OutcomeURLCheck         = "url_check"
	OutcomeStale            = "stale"
	OutcomeDuplicate        = "duplicate"
	OutcomeBusy             = "busy"
	OutcomeRelayFailed      = "relay_failed"
)

// Options configure New.
type Options struct {
	APIKey       string                // Apideck's signatures are HMACs keyed with it
	UnifiedAPIs  []string              // VAULT_UNIFIED_APIS; empty: all
	RelayURL     string                // EVENTS_RELAY_URL; empty: no relay
	RelaySecret  string                // EVENTS_RELAY_SECRET, checked by ParseRelaySecrets
	RelayTimeout time.Duration         // EVENTS_RELAY_TIMEOUT
	MaxStreams   int                   // EVENTS_MAX_STREAMS
	Redis        redis.UniversalClient // with REDIS_URL: dedupe and streams shared by replicas; nil otherwise
}

// Service receives Apideck's webhooks and serves the event streams.
type Service struct {
	log       zerolog.Logger
	verifier  *verifier
	fails     *failures
	seen      seenIDs
	relay     *relay // nil: none configured
	hub       *hub
	inFlight  chan struct{}
	unified   []string
	m         metrics
	closeHook func()
}

// Delivery is one POST to the webhook path.
type Delivery struct {
	IP        string   // the client address failed verifications count against
	Signature []string // the x-apideck-signature header lines
	Body      io.Reader
	Size      int64 // the declared body length; -1 when unknown
}

// Result is what the access line says about a delivery.
type Result struct {
	Outcome    string // a webhooks_total label; empty when refused before any check
	EventType  string
	WebhookID  string
	ConsumerID string
	Form       string // the canonical form whose signature matched
	// The relay's answer (0 without one) and how long it took.
	RelayStatus int
	RelayTime   time.Duration
	// With ErrRateLimited, ErrBusy or ErrRelayFailed: when to try again.
	RetryAfter time.Duration
}

// New builds the service and registers its metrics on reg. With
// o.Redis it subscribes to other replicas' events; Close stops that.
func New(o Options, reg prometheus.Registerer, log zerolog.Logger) (*Service, error) {
	m, err := newMetrics(reg)
	if err != nil {
		return nil, err
	}
	s := &Service{
		log:      log,
		verifier: &verifier{key: []byte(o.APIKey), slots: make(chan struct{}, runtime.GOMAXPROCS(0)), wait: verifyWait},
		fails:    newFailures(failLimit, maxFailIPs, time.Minute),
		seen:     newMemorySeen(maxRemembered),
		hub:      newHub(o.MaxStreams, m.streams, m.pushed),
		inFlight: make(chan struct{}, maxInFlight),
		unified:  o.UnifiedAPIs,
		m:        m,
	}
	if len(s.unified) == 0 {
		s.unified = upstream.UnifiedAPIs
	}
	if o.RelayURL != "" {
		signers, err := ParseRelaySecrets(o.RelaySecret)
		if err != nil {
			return nil, errors.New("EVENTS_RELAY_SECRET " + err.Error())
		}
		s.relay = newRelay(o.RelayURL, signers, o.RelayTimeout)
	}
	s.closeHook = func() {}
	if o.Redis != nil {
		s.seen = redisSeen{client: o.Redis, prefix: "vaultgate:webhook:"}
		r, err := newRemote(s.hub, o.Redis, o.APIKey, m.redisErrors, log)
		if err != nil {
			return nil, err
		}
		s.hub.remote, s.closeHook = r, r.close
	}
	return s, nil
}

// Receive handles one webhook delivery in the order the README's
// "Connection events" section gives. Its errors are this package's
// sentinels; the Result says what to log whatever the answer.
func (s *Service) Receive(ctx context.Context, d Delivery) (Result, error) {
	var res Result
	now := time.Now()
	if wait, blocked := s.fails.blocked(d.IP, now); blocked {
		res.RetryAfter = wait
		return res, ErrRateLimited
	}
	refuse := func(outcome string, err error) (Result, error) {
		res.Outcome = outcome
		s.m.webhooks.WithLabelValues(outcome).Inc()
		if errors.Is(err, ErrInvalidSignature) {
			s.fails.add(d.IP, time.Now())
		}
		return res, err
	}
	sig, err := ParseSignature(d.Signature)
	if err != nil {
		return refuse(OutcomeInvalidSignature, err)
	}
	if d.Size > MaxBody { // refused before a byte of it is read
		return refuse(OutcomeTooLarge, ErrTooLarge)
	}
	body, err := io.ReadAll(io.LimitReader(d.Body, MaxBody+1))
	switch {
	case err != nil:
		return refuse(OutcomeInvalid, errors.Join(ErrInvalid, err))
	case len(body) > MaxBody:
		return refuse(OutcomeTooLarge, ErrTooLarge)
	}
	form, p, err := s.verifier.verify(ctx, body, sig)
	switch {
	case errors.Is(err, ErrBusy):
		res.RetryAfter = time.Second
		return refuse(OutcomeBusy, err)
	case err != nil:
		return refuse(OutcomeInvalidSignature, err)
	}
	res.Form = form
	s.m.signatures.WithLabelValues(form, sig.encoding).Inc()
	if p == nil { // verified raw: decode it now, without the re-serialising bounds
		p, err = parse(body, false)
	}
	if err != nil || p.root.kind != '{' || p.duplicate || !utf8.Valid(body) {
		return refuse(OutcomeInvalid, ErrInvalid)
	}
	e := readEvent(p.root, body)
	res.EventType, res.WebhookID, res.ConsumerID = e.eventType, e.id, e.consumerID
	if !e.hasPayload {
		return s.done(res, OutcomeURLCheck)
	}
	if e.attempt > 0 {
		s.m.attempts.Observe(e.attempt)
	}
	if e.stale(now) {
		return s.done(res, OutcomeStale)
	}
	if seen, err := s.seen.seen(ctx, e.id); err != nil {
		s.m.redisErrors.Inc()
		zerolog.Ctx(ctx).Warn().Err(err).Msg("webhook dedupe lookup failed; the event counts as unseen")
	} else if seen {
		return s.done(res, OutcomeDuplicate)
	}
	select {
	case s.inFlight <- struct{}{}:
		defer func() { <-s.inFlight }()
	default:
		res.RetryAfter = time.Second
		return refuse(OutcomeBusy, ErrBusy)
	}
	if e.pushable(func(id string) bool { return slices.Contains(s.unified, id) }) {
		s.hub.publish(e.consumerID, e.id, e.view)
	}
	if s.relay != nil {
		// Draining does not cancel a relay in progress: its own timeout ends it.
		start := time.Now()
		status, outcome, err := s.relay.send(context.WithoutCancel(ctx), e.id, e.eventType, body)
		res.RelayStatus, res.RelayTime = status, time.Since(start)
		s.m.relays.WithLabelValues(outcome).Inc()
		s.m.relayDuration.Observe(res.RelayTime.Seconds())
		if err != nil {
			res.RetryAfter = relayRetryAfter
			return refuse(OutcomeRelayFailed, errors.Join(ErrRelayFailed, err))
		}
	}
	// Only now is the event done: a failed relay is delivered again.
	if err := s.seen.remember(ctx, e.id); err != nil {
		s.m.redisErrors.Inc()
		zerolog.Ctx(ctx).Warn().Err(err).Msg("remembering a webhook id failed; a redelivery would be handled again")
	}
	return s.done(res, OutcomeAccepted)
}

func (s *Service) done(res Result, outcome string) (Result, error) {
	res.Outcome = outcome
	s.m.webhooks.WithLabelValues(outcome).Inc()
	return res, nil
}

// Subscribe opens a stream of consumer's connection events for user (the
// verified subject, which limits how many streams one person holds).
func (s *Service) Subscribe(consumer, user string) (*Stream, error) {
	return s.hub.subscribe(consumer, user)
}

// Shutdown ends every open stream and refuses new ones.
func (s *Service) Shutdown() { s.hub.shutdown() }

// Close ends the Redis subscription, if any.
func (s *Service) Close() { s.closeHook() }
