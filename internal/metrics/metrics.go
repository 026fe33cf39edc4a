// Package metrics defines vaultgate's Prometheus collectors on a registry
// created at start-up.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics holds every collector the service records to.
type Metrics struct {
	HTTPRequests     *prometheus.CounterVec   // route, method, code
	HTTPDuration     *prometheus.HistogramVec // route, method
	UpstreamRequests *prometheus.CounterVec   // outcome, one per attempt
	UpstreamDuration prometheus.Histogram     // one per attempt
	AuthFailures     *prometheus.CounterVec   // reason
	RateLimited      *prometheus.CounterVec   // scope: user, ip
	RateLimitErrors  prometheus.Counter       // shared-state failures, limiting failed open
	CircuitState     prometheus.Gauge         // 0 closed, 1 half-open, 2 open
	UpstreamInFlight prometheus.Gauge
	SessionReuse     *prometheus.CounterVec // result: hit, miss, shared
	BuildInfo        *prometheus.GaugeVec   // version, commit, goversion
}

// New creates the collectors and registers them, with the Go runtime and
// process collectors, on reg.
func New(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		HTTPRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vaultgate_http_requests_total",
			Help: "HTTP requests answered on the public listener, by route, method and status code.",
		}, []string{"route", "method", "code"}),
		HTTPDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "vaultgate_http_request_duration_seconds",
			Help:    "Time to answer a public request, upstream work included.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "method"}),
		UpstreamRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vaultgate_upstream_requests_total",
			Help: "Attempts to create a Vault session at Apideck, by outcome.",
		}, []string{"outcome"}),
		UpstreamDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "vaultgate_upstream_duration_seconds",
			Help:    "Duration of one attempt at Apideck's POST /vault/sessions.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}),
		AuthFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vaultgate_auth_failures_total",
			Help: "Authentication failures (401/403/503 of authentication), by reason.",
		}, []string{"reason"}),
		RateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vaultgate_rate_limited_total",
			Help: "Requests refused with 429, by limit scope (user, ip).",
		}, []string{"scope"}),
		RateLimitErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "vaultgate_rate_limit_errors_total",
			Help: "Rate-limit checks that failed (shared state unreachable) and were let through.",
		}),
		CircuitState: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "vaultgate_upstream_circuit_state",
			Help: "Circuit breaker state around Apideck: 0 closed, 1 half-open, 2 open.",
		}),
		UpstreamInFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "vaultgate_upstream_in_flight",
			Help: "Upstream calls holding a concurrency slot.",
		}),
		SessionReuse: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vaultgate_session_reuse_total",
			Help: "Session lookups before calling Apideck, by result (hit, miss, shared).",
		}, []string{"result"}),
		BuildInfo: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "vaultgate_build_info",
			Help: "Always 1; labels carry the build's version, commit and Go version.",
		}, []string{"version", "commit", "goversion"}),
	}
	reg.MustRegister(
		m.HTTPRequests, m.HTTPDuration, m.UpstreamRequests, m.UpstreamDuration,
		m.AuthFailures, m.RateLimited, m.RateLimitErrors,
		m.CircuitState, m.UpstreamInFlight, m.SessionReuse, m.BuildInfo,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}
