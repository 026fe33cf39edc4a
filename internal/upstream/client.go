package upstream

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
)

// userAgent names us to Apideck (and to whoever reads their logs).
const userAgent = "vaultgate"

var (
	// errDeadline is the cause of the call's own deadline, told apart from
	// the caller's context ending.
	errDeadline   = fmt.Errorf("no answer within the upstream deadline: %w", context.DeadlineExceeded)
	errCallerGone = errors.New("caller went away")
	errNoSlot     = errors.New("no upstream slot free")
)

// Client creates Vault sessions at Apideck. It is safe for concurrent use.
type Client struct {
	cfg      Config
	endpoint string // {BaseURL}/vault/sessions
	vault    string // normalised VaultOrigin
	http     *http.Client
	m        *clientMetrics
	log      zerolog.Logger
	breaker  *breaker
	slots    *slots

	// Tests shorten these; production uses the constants.
	backoffBase time.Duration
	slotWait    time.Duration
}

// New builds a client whose metrics are registered on reg.
func New(cfg Config, reg prometheus.Registerer, log zerolog.Logger) (*Client, error) {
	endpoint := strings.TrimRight(cfg.BaseURL, "/") + "/vault/sessions"
	m, err := newMetrics(reg)
	if err != nil {
		return nil, fmt.Errorf("upstream metrics: %w", err)
	}
	log = log.With().Str("component", "upstream").Logger()
	return &Client{
		cfg:         cfg,
		endpoint:    endpoint,
		vault:       cfg.VaultOrigin,
		http:        newHTTPClient(cfg),
		m:           m,
		log:         log,
		breaker:     newBreaker(cfg.BreakerFailures, cfg.BreakerCooldown, m.circuit, log),
		slots:       newSlots(cfg.MaxConcurrency, m.inFlight),
		backoffBase: defaultBackoffBase,
		slotWait:    slotWait,
	}, nil
}

// CircuitState is "closed", "half-open" or "open".
func (c *Client) CircuitState() string { return c.breaker.state() }

// Close drops pooled idle connections (at shutdown).
func (c *Client) Close() { c.http.CloseIdleConnections() }

// CreateSession POSTs {BaseURL}/vault/sessions for consumerID with body,
// the JSON of a SessionRequest, sent as it is by every attempt. The whole
// call, waiting for a slot and retries included, ends within cfg.Timeout.
// Every error is an *Error; Result is filled either way.
func (c *Client) CreateSession(ctx context.Context, consumerID string, body []byte) (Session, Result, error) {
	start := time.Now()
	var res Result
	finish := func(s Session, err *Error) (Session, Result, error) {
		res.Duration = time.Since(start)
		if err != nil {
			return Session{}, res, err
		}
		return s, res, nil
	}

	if ctx.Err() != nil {
		return finish(Session{}, &Error{Kind: KindTimeout, Err: fmt.Errorf("%w: %w", errCallerGone, context.Cause(ctx))})
	}

	done, openErr := c.breaker.allow()
	if openErr != nil {
		c.m.requests.WithLabelValues(outcomeCircuitOpen).Inc()
		return finish(Session{}, openErr)
	}

	callCtx, cancel := context.WithTimeoutCause(ctx, c.cfg.Timeout, errDeadline)
	defer cancel()

	release, ok := c.slots.acquire(callCtx, c.slotWait)
	if !ok {
		done(verdictIgnored.outcome())
		if ctx.Err() != nil {
			return finish(Session{}, &Error{Kind: KindTimeout, Err: fmt.Errorf("%w: %w", errCallerGone, context.Cause(ctx))})
		}
		// Also when the deadline came first: the cause is the missing slot.
		c.m.requests.WithLabelValues(outcomeBusy).Inc()
		return finish(Session{}, &Error{Kind: KindBusy, RetryAfter: defaultBusyRetry, Err: errNoSlot})
	}
	defer release()

	sess, callErr := c.attempts(callCtx, consumerID, body, &res)
	done(c.verdict(ctx, callErr).outcome())
	return finish(sess, callErr)
}

// attempts runs the first attempt and the retries, all within ctx's
// deadline, recording each attempt in res and the metrics.
func (c *Client) attempts(ctx context.Context, consumerID string, body []byte, res *Result) (Session, *Error) {
	log := c.logger(ctx)
	deadline, _ := ctx.Deadline()
	for n := 1; ; n++ {
		t0 := time.Now()
		a := c.try(ctx, consumerID, body)
		c.m.duration.Observe(time.Since(t0).Seconds())
		c.m.requests.WithLabelValues(a.outcome).Inc()
		res.Attempts, res.Status = n, a.status
		if a.kind == 0 {
			return a.session, nil
		}

		ev := log.Debug().Int("attempt", n).Int("status", a.status).Str("outcome", a.outcome)
		if a.typeName != "" {
			ev = ev.Str("type_name", a.typeName)
		}
		if !a.retryable || n > c.cfg.MaxRetries {
			ev.Msg("upstream attempt failed")
			return Session{}, a.err()
		}
		delay, ok := retryDelay(a.hint, a.hasHint, backoff(c.backoffBase, n), time.Until(deadline))
		if !ok {
			ev.Msg("upstream attempt failed, no retry fits the deadline")
			return Session{}, a.err()
		}
		ev.Dur("retry_in", delay).Msg("upstream attempt failed, retrying")
		if sleep(ctx, delay) != nil {
			failed, _ := ctxFailure(ctx, a.status)
			return Session{}, failed.err()
		}
	}
}

// verdict tells the breaker what a finished call says about Apideck.
func (c *Client) verdict(caller context.Context, err *Error) verdict {
	switch {
	case err == nil:
		return verdictHealthy
	case caller.Err() != nil:
		// The client went away (or its own deadline passed): not
		// Apideck's fault, and not evidence it is healthy either.
		return verdictIgnored
	case err.Kind == KindUnavailable || err.Kind == KindTimeout:
		return verdictFailure
	}
	return verdictHealthy
}

// logger prefers the request-scoped logger in ctx (it carries the request
// id) and falls back to the client's.
func (c *Client) logger(ctx context.Context) *zerolog.Logger {
	if l := zerolog.Ctx(ctx); l != nil && l.GetLevel() != zerolog.Disabled {
		return l
	}
	return &c.log
}

// clientMetrics are the client's collectors.
type clientMetrics struct {
	requests *prometheus.CounterVec // outcome, one per attempt
	duration prometheus.Histogram   // one per attempt
	circuit  prometheus.Gauge       // 0 closed, 1 half-open, 2 open
	inFlight prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) (*clientMetrics, error) {
	m := &clientMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vaultgate_upstream_requests_total",
			Help: "Attempts to create a Vault session at Apideck, by outcome.",
		}, []string{"outcome"}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "vaultgate_upstream_duration_seconds",
			Help:    "Duration of one attempt at Apideck's POST /vault/sessions.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}),
		circuit: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "vaultgate_upstream_circuit_state",
			Help: "Circuit breaker state around Apideck: 0 closed, 1 half-open, 2 open.",
		}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "vaultgate_upstream_in_flight",
			Help: "Upstream calls holding a concurrency slot.",
		}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.duration, m.circuit, m.inFlight} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}
