// Package handler serves vaultgate's HTTP listeners: the public /connect
// endpoint with its middleware, and the admin endpoints (health, readiness,
// metrics). Every route is listed in this file.
package handler

import (
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/vaultgate/vaultgate/internal/metrics"
)

// NewPublic builds the public router. It returns the mux itself so demo mode
// can mount its pages beside /connect, under the same middleware.
//
// Middleware, outermost first: panic recovery, request id, security
// headers, access log and metrics, CORS (only with CORS origins).
func NewPublic(d Deps) *chi.Mux {
	if d.Metrics == nil {
		d.Metrics = metrics.New(prometheus.NewRegistry())
	}
	p := newProblems(d.Connect.LoginURL)
	withCORS := len(d.Connect.CORSOrigins) > 0

	mux := chi.NewRouter()
	mux.Use(recoverPanics(d.Log, p), requestID(d.Log), securityHeaders, accessLog(d.Metrics))
	if withCORS {
		mux.Use(corsMiddleware(d.Connect.CORSOrigins))
	}
	mux.NotFound(notFound(p))
	mux.MethodNotAllowed(methodNotAllowed(mux, p))

	connect := handleConnect(d, p)
	mux.Method(http.MethodGet, "/connect", connect)
	mux.Method(http.MethodPost, "/connect", connect)
	if withCORS {
		mux.Method(http.MethodOptions, "/connect", handlePreflight())
	}
	return mux
}

// NewAdmin builds the admin router: /healthz, /readyz, /metrics and, with
// pprof, /debug/pprof/. It is served on its own listener, never the public
// one.
func NewAdmin(g prometheus.Gatherer, checks []Check, pprof bool) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /healthz", handleHealthz())
	mux.Handle("GET /readyz", handleReadyz(checks))
	mux.Handle("GET /metrics", handleMetrics(g))
	if pprof {
		addPprof(mux)
	}
	return noStore(mux)
}
