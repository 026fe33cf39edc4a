// Package handler serves vaultgate's HTTP listeners: the public /connect
// endpoint with its middleware, and the admin endpoints (health, readiness,
// metrics). Every route is listed in this file.
package handler

import (
	"net/http"
	"net/http/pprof"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/zerolog"
)

// Deps is everything the public listener needs.
type Deps struct {
	Log        zerolog.Logger
	Registerer prometheus.Registerer // where the HTTP, auth and rate-limit metrics are registered
	Auth       Authenticator
	Sessions   Sessions
	UserLimit  Limiter // per verified subject; nil = off
	IPLimit    Limiter // per client IP, before authentication; nil = off
	Connect    ConnectConfig
	// Pages adds routes beside /connect (demo mode), served under the same
	// middleware and access log. May be nil.
	Pages func(chi.Router)
}

// NewPublic builds the public router.
//
// Middleware, outermost first: panic recovery, request id, security
// headers, CORS (only with CORS origins). Each route then writes its own
// access line and metrics through observe.
func NewPublic(d Deps) http.Handler {
	m := newMetrics(d.Registerer)
	p := newProblems(d.Connect.LoginURL)
	withCORS := len(d.Connect.CORSOrigins) > 0

	mux := chi.NewRouter()
	mux.Use(recoverPanics(d.Log, p), requestID(d.Log), securityHeaders)
	if withCORS {
		mux.Use(corsMiddleware(d.Connect.CORSOrigins))
	}
	mux.NotFound(m.observe(notFound(p)).ServeHTTP)
	mux.MethodNotAllowed(m.observe(methodNotAllowed(mux, p)).ServeHTTP)

	connect := m.observe(handleConnect(d, m, p))
	mux.Method(http.MethodGet, "/connect", connect)
	mux.Method(http.MethodPost, "/connect", connect)
	if withCORS {
		mux.Method(http.MethodOptions, "/connect", m.observe(handlePreflight))
	}
	if d.Pages != nil {
		mux.Group(func(pages chi.Router) {
			pages.Use(func(next http.Handler) http.Handler {
				return m.observe(func(w http.ResponseWriter, r *http.Request) outcome {
					next.ServeHTTP(w, r)
					return outcome{}
				})
			})
			d.Pages(pages)
		})
	}
	return mux
}

// NewAdmin builds the admin router: /healthz, /readyz, /metrics and, with
// pprof, /debug/pprof/. It is served on its own listener, never the public
// one.
func NewAdmin(g prometheus.Gatherer, checks []Check, withPprof bool) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", handleHealthz)
	mux.Handle("GET /readyz", handleReadyz(checks))
	mux.Handle("GET /metrics", promhttp.HandlerFor(g, promhttp.HandlerOpts{}))
	if withPprof {
		// Registered here explicitly: importing net/http/pprof also
		// registers them on http.DefaultServeMux, which is never served.
		mux.HandleFunc("GET /debug/pprof/", pprof.Index)
		mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("POST /debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	}
	return noStore(mux)
}

// handlePreflight ends a CORS preflight for a route; the CORS middleware has
// already added the Access-Control-* headers when the origin is allowed.
func handlePreflight(w http.ResponseWriter, _ *http.Request) outcome {
	w.WriteHeader(http.StatusNoContent)
	return outcome{}
}

func notFound(p *problems) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) outcome {
		return outcome{code: p.write(w, r, &refusal{code: codeNotFound})}
	}
}

// methodNotAllowed answers 405 with an Allow header. chi passes a custom
// handler no method list, so it is worked out from the router itself,
// which also covers the mounted pages.
func methodNotAllowed(mux *chi.Mux, p *problems) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) outcome {
		path := r.URL.RawPath
		if path == "" {
			path = r.URL.Path
		}
		var allowed []string
		route := ""
		for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost,
			http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions} {
			if pattern := mux.Find(chi.NewRouteContext(), m, path); pattern != "" {
				allowed, route = append(allowed, m), pattern
			}
		}
		if len(allowed) == 0 {
			// chi also lands here for methods it does not know, on any path.
			return notFound(p)(w, r)
		}
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		// chi leaves the route pattern empty on a 405: label it with the
		// route the path belongs to.
		return outcome{route: route, code: p.write(w, r, &refusal{code: codeMethodNotAllowed})}
	}
}
