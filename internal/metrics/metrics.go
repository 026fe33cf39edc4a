// Package metrics defines vaultgate's Prometheus collectors on a registry
// created at start-up.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics holds every collector the service records to.
type Metrics struct {
	JWKSFetches *prometheus.CounterVec // trigger (startup, refresh, unknown_kid), result (ok, error)
	ForwardAuth *prometheus.CounterVec // result: ok, unauthenticated, error, cache_hit
	BuildInfo   *prometheus.GaugeVec   // version, commit, goversion
}

// New creates the collectors and registers them, with the Go runtime and
// process collectors, on reg.
func New(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		JWKSFetches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vaultgate_jwks_fetches_total",
			Help: "JWKS fetches, by trigger and result.",
		}, []string{"trigger", "result"}),
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
		m.JWKSFetches, m.ForwardAuth, m.BuildInfo,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}
