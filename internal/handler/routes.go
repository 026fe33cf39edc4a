// Package handler serves vaultgate's HTTP listeners: the public /connect
// endpoint with its middleware, and the admin endpoints (health, readiness,
// metrics). Every route is listed in this file.
package handler

import (
	"cmp"
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
	Pages      func(chi.Router) // routes beside /connect (demo mode), same middleware; may be nil
}

// NewPublic builds the public router. Every answer, 404s and 405s
// included, passes CORS (with CORS origins) and then observe.
func NewPublic(d Deps) http.Handler {
	m := newMetrics(d.Registerer)
	p := &problems{types: problemTypes(), loginURL: d.Connect.LoginURL}
	mux := chi.NewRouter()
	withCORS := len(d.Connect.CORSOrigins) > 0
	if withCORS {
		mux.Use(corsMiddleware(d.Connect.CORSOrigins))
	}
	mux.Use(observe(d.Log, m, p))
	if withCORS {
		// Preflights: the CORS middleware added its headers if the origin is allowed.
		mux.Options("/connect", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	}
	mux.NotFound(func(w http.ResponseWriter, r *http.Request) { p.write(w, r, &refusal{code: codeNotFound}) })
	mux.MethodNotAllowed(methodNotAllowed(mux, p))
	connect := handleConnect(d, m, p)
	mux.Method(http.MethodGet, "/connect", connect)
	mux.Method(http.MethodPost, "/connect", connect)
	if d.Pages != nil {
		mux.Group(d.Pages)
	}
	return mux
}

// NewAdmin builds the admin router, for its own listener: /healthz,
// /readyz, /metrics and, with pprof, /debug/pprof/.
func NewAdmin(g prometheus.Gatherer, checks []Check, withPprof bool) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		_ = writeJSON(w, http.StatusOK, contentTypeJSON, map[string]string{"status": "ok"})
	})
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
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store") // health and metrics are only meaningful live
		mux.ServeHTTP(w, r)
	})
}

// methodNotAllowed answers 405 with an Allow header. chi passes a custom
// handler no method list, so it is worked out from the router itself,
// which also covers the pages.
func methodNotAllowed(mux *chi.Mux, p *problems) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		path := cmp.Or(r.URL.RawPath, r.URL.Path)
		var allowed []string
		for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost,
			http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions} {
			if pattern := mux.Find(chi.NewRouteContext(), m, path); pattern != "" {
				// chi leaves the route pattern empty on a 405.
				allowed, report(r).route = append(allowed, m), pattern
			}
		}
		if len(allowed) == 0 {
			// chi also lands here for methods it does not know, on any path.
			p.write(w, r, &refusal{code: codeNotFound})
			return
		}
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		p.write(w, r, &refusal{code: codeMethodNotAllowed})
	}
}
