// Package upstream is the client for Apideck's Vault API (sessions and
// connections): retries, deadline, concurrency bound, circuit breaker and
// typed errors.
package upstream

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
)

// Config is what the client needs. internal/config fills it from the
// environment and has validated every value; New takes them as they are.
type Config struct {
	BaseURL         string        // e.g. https://unify.apideck.com
	APIKey          string        // sent only as "Authorization: Bearer"; never log it
	AppID           string        // x-apideck-app-id
	Timeout         time.Duration // deadline for one call, retries included
	MaxRetries      int           // retries after the first attempt
	MaxConcurrency  int           // upstream calls in flight at once
	BreakerFailures int           // consecutive failures that open the circuit; fits a uint32
	BreakerCooldown time.Duration // open time before one probe is let through
	VaultOrigin     string        // as ParseOrigin returns it; the only origin a session_uri may have

	// WrapTransport, when set, wraps the client's transport (tracing).
	WrapTransport func(http.RoundTripper) http.RoundTripper
}

var (
	// errDeadline is the cause of the call's own deadline, told apart from
	// the caller's context ending.
	errDeadline   = fmt.Errorf("no answer within the upstream deadline: %w", context.DeadlineExceeded)
	errCallerGone = errors.New("caller went away")
	errNoSlot     = errors.New("no upstream slot free")
)

// Client creates Vault sessions and reads and deletes connections at
// Apideck. It is safe for concurrent use.
type Client struct {
	cfg  Config
	base string // BaseURL without a trailing slash
	// authorization is the Authorization header's value: a secret.
	authorization string
	http          *http.Client
	m             *clientMetrics
	log           zerolog.Logger
	breaker       *breaker
	slots         *slots

	backoffBase time.Duration // tests shorten it
}

// New builds a client whose metrics are registered on reg.
func New(cfg Config, reg prometheus.Registerer, log zerolog.Logger) (*Client, error) {
	m, err := newMetrics(reg)
	if err != nil {
		return nil, fmt.Errorf("upstream metrics: %w", err)
	}
	log = log.With().Str("component", "upstream").Logger()
	return &Client{
		cfg:           cfg,
		base:          strings.TrimRight(cfg.BaseURL, "/"),
		authorization: "Bearer " + cfg.APIKey,
		http:          newHTTPClient(cfg),
		m:             m,
		log:           log,
		breaker:       newBreaker(cfg.BreakerFailures, cfg.BreakerCooldown, m.circuit, log),
		slots:         &slots{ch: make(chan struct{}, cfg.MaxConcurrency), inFlight: m.inFlight},
		backoffBase:   defaultBackoffBase,
	}, nil
}

// Close drops pooled idle connections (at shutdown).
func (c *Client) Close() { c.http.CloseIdleConnections() }

// call is one kind of upstream request: what is sent, whether it may be
// retried and how a success is read.
type call struct {
	operation string // metric label
	method    string
	path      string // below BaseURL, segments escaped
	body      []byte // nil: none
	retry     bool   // safe to repeat: only calls that change nothing
	notFound  bool   // a 404 means "no such thing" (KindNotFound), not a rejection
	maxBody   int    // bytes of an answer read at most
	// parse reads a 2xx body; its error, a fixed message, makes the answer
	// invalid. It keeps what it read: the last successful attempt's wins.
	parse func(body []byte) error
}

// do makes cl for consumerID: the whole call, waiting for a slot and
// retries included, ends within cfg.Timeout. Every error is an *Error;
// the Result is filled either way.
func (c *Client) do(ctx context.Context, consumerID string, cl call) (Result, error) {
	start := time.Now()
	var res Result
	finish := func(err *Error) (Result, error) {
		res.Duration = time.Since(start)
		if err != nil {
			return res, err
		}
		return res, nil
	}
	callerGone := func() *Error {
		return &Error{Kind: KindTimeout, Err: fmt.Errorf("%w: %w", errCallerGone, context.Cause(ctx))}
	}

	if ctx.Err() != nil {
		return finish(callerGone())
	}
	done, openErr := c.breaker.allow()
	if openErr != nil {
		c.m.requests.WithLabelValues(cl.operation, outcomeCircuitOpen).Inc()
		return finish(openErr)
	}

	callCtx, cancel := context.WithTimeoutCause(ctx, c.cfg.Timeout, errDeadline)
	defer cancel()

	if !c.slots.acquire(callCtx) {
		done(errBreakerIgnored)
		if ctx.Err() != nil {
			return finish(callerGone())
		}
		// Also when the deadline came first: the cause is the missing slot.
		c.m.requests.WithLabelValues(cl.operation, outcomeBusy).Inc()
		return finish(&Error{Kind: KindBusy, RetryAfter: defaultBusyRetry, Err: errNoSlot})
	}
	defer c.slots.release()

	callErr := c.attempts(callCtx, consumerID, cl, &res)
	done(breakerOutcome(ctx, callErr))
	return finish(callErr)
}

// attempts runs the first attempt and, for calls that may be repeated, the
// retries, all within ctx's deadline, recording each attempt in res and the
// metrics.
func (c *Client) attempts(ctx context.Context, consumerID string, cl call, res *Result) *Error {
	// The request's logger carries its id; without one, the client's.
	log := zerolog.Ctx(ctx)
	if log.GetLevel() == zerolog.Disabled {
		log = &c.log
	}
	deadline, _ := ctx.Deadline()
	for n := 1; ; n++ {
		t0 := time.Now()
		a := c.try(ctx, consumerID, cl)
		c.m.duration.WithLabelValues(cl.operation).Observe(time.Since(t0).Seconds())
		c.m.requests.WithLabelValues(cl.operation, a.outcome).Inc()
		res.Attempts, res.Status = n, a.status
		if a.kind == 0 {
			return nil
		}

		ev := log.Debug().Str("operation", cl.operation).Int("attempt", n).Int("status", a.status).Str("outcome", a.outcome)
		if a.typeName != "" {
			ev = ev.Str("type_name", a.typeName)
		}
		// A change whose outcome is unknown is never repeated: the first
		// attempt may have done it.
		if !a.retryable || !cl.retry || n > c.cfg.MaxRetries {
			ev.Msg("upstream attempt failed")
			return a.err()
		}
		delay, ok := retryDelay(a.hint, a.hasHint, backoff(c.backoffBase, n), time.Until(deadline))
		if !ok {
			ev.Msg("upstream attempt failed, no retry fits the deadline")
			return a.err()
		}
		ev.Dur("retry_in", delay).Msg("upstream attempt failed, retrying")
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			failed, _ := ctxFailure(ctx, a.status)
			return failed.err()
		}
	}
}

// try sends one request and classifies what came back. ctx carries the
// call's deadline.
func (c *Client) try(ctx context.Context, consumerID string, cl call) attempt {
	var body io.Reader = http.NoBody
	if cl.body != nil {
		body = bytes.NewReader(cl.body)
	}
	req, err := http.NewRequestWithContext(ctx, cl.method, c.base+cl.path, body)
	if err != nil {
		// Only a base URL that does not parse gets here; config refuses those.
		return attempt{outcome: outcomeNetworkError, kind: KindUnavailable, cause: errors.New("cannot build the request")}
	}
	req.Header.Set("Authorization", c.authorization)
	req.Header.Set("X-Apideck-App-Id", c.cfg.AppID)
	req.Header.Set("X-Apideck-Consumer-Id", consumerID)
	if cl.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "vaultgate")

	resp, err := c.http.Do(req)
	if err != nil {
		if a, done := ctxFailure(ctx, 0); done {
			return a
		}
		return attempt{outcome: outcomeNetworkError, kind: KindUnavailable, retryable: true,
			cause: fmt.Errorf("send request: %w", transportCause(err))}
	}
	defer resp.Body.Close()
	// Read (up to the limit) whatever the status: a body read to EOF lets
	// the connection go back to the pool.
	data, tooLarge, readErr := readBody(resp.Body, resp.ContentLength, cl.maxBody)
	return classify(ctx, cl, resp, data, tooLarge, readErr)
}

type clientMetrics struct {
	requests *prometheus.CounterVec   // operation, outcome: one per attempt (or refused call)
	duration *prometheus.HistogramVec // operation: one per attempt
	circuit  prometheus.Gauge         // 0 closed, 1 half-open, 2 open
	inFlight prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) (*clientMetrics, error) {
	m := &clientMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vaultgate_upstream_requests_total",
			Help: "Attempts at Apideck, by operation and outcome.",
		}, []string{"operation", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "vaultgate_upstream_duration_seconds",
			Help:    "Duration of one attempt at Apideck, by operation.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"operation"}),
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
