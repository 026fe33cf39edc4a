// Package metrics defines vaultgate's Prometheus collectors on a registry
// created at start-up.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics holds every collector the service records to.
type Metrics struct {
	UpstreamRequests *prometheus.CounterVec // outcome, one per attempt
	UpstreamDuration prometheus.Histogram   // one per attempt
	JWKSFetches      *prometheus.CounterVec // trigger (startup, refresh, unknown_kid), result (ok, error)
	CircuitState     prometheus.Gauge       // 0 closed, 1 half-open, 2 open
	UpstreamInFlight prometheus.Gauge
	ForwardAuth      *prometheus.CounterVec // result: ok, unauthenticated, error, cache_hit
	BuildInfo        *prometheus.GaugeVec   // version, commit, goversion
}

// New creates the collectors and registers them, with the Go runtime and
// process collectors, on reg.
func New(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		UpstreamRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vaultgate_upstream_requests_total",
			Help: "Attempts to create a Vault session at Apideck, by outcome.",
		}, []string{"outcome"}),
		UpstreamDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "vaultgate_upstream_duration_seconds",
			Help:    "Duration of one attempt at Apideck's POST /vault/sessions.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}),
		JWKSFetches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vaultgate_jwks_fetches_total",
			Help: "JWKS fetches, by trigger and result.",
		}, []string{"trigger", "result"}),
		CircuitState: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "vaultgate_upstream_circuit_state",
			Help: "Circuit breaker state around Apideck: 0 closed, 1 half-open, 2 open.",
		}),
		UpstreamInFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "vaultgate_upstream_in_flight",
			Help: "Upstream calls holding a concurrency slot.",
		}),
		ForwardAuth: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vaultgate_forward_auth_total",
			Help: "Forward-auth lookups at the app's own endpoint, by result (ok, unauthenticated, error, cache_hit).",
		}, []string{"result"}),
		BuildInfo: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "vaultgate_build_info",
			Help: "Always 1; labels carry the build's version, commit and Go version.",
		}, []string{"version", "commit", "goversion"}),
	}
	reg.MustRegister(
		m.UpstreamRequests, m.UpstreamDuration, m.JWKSFetches,
		m.CircuitState, m.UpstreamInFlight, m.ForwardAuth, m.BuildInfo,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}
