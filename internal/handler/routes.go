// Package handler serves vaultgate's HTTP listeners: the public /connect,
// integrations page and OAuth callback endpoints with their middleware, and
// the admin endpoints (health, readiness, metrics). Every route is listed
// in this file.
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
	Conns      Connections
	UserLimit  Limiter // per verified subject; nil = off
	IPLimit    Limiter // per client IP, before authentication; nil = off
	Connect    ConnectConfig
	Pages      func(chi.Router) // routes beside /connect (demo mode), same middleware; may be nil
	// Events serves APIDECK_WEBHOOK_PATH and /connections/events; nil (with
	// an empty WebhookPath) when connection events are off.
	Events      Events
	WebhookPath string
}

// server holds what every public route shares.
type server struct {
	log zerolog.Logger
	m   *metrics
	p   *problems
}

// NewPublic builds the public router. Every answer, 404s and 405s
// included, passes CORS (with CORS origins) and is observed: request id,
// security headers, problem answers, metrics and the access line.
func NewPublic(d Deps) http.Handler {
	s := &server{log: d.Log, m: newMetrics(d.Registerer), p: newProblems(d.Connect)}
	g := &gate{deps: d, m: s.m}
	mux := chi.NewRouter()
	if len(d.Connect.CORSOrigins) > 0 {
		mux.Use(corsMiddleware(d.Connect.CORSOrigins))
		// Preflights: the CORS middleware added its headers if the origin is allowed.
		for _, route := range []string{"/connect", routeConnections, routeConnection} {
			mux.Method(http.MethodOptions, route, s.observed(route, noContent))
		}
	}
	mux.NotFound(s.observed(routeOther, func(http.ResponseWriter, *http.Request) (outcome, error) {
		return outcome{}, &refusal{code: codeNotFound}
	}).ServeHTTP)
	mux.MethodNotAllowed(s.observed(routeOther, methodNotAllowed(mux)).ServeHTTP)
	connect := s.observed("/connect", handleConnect(d, g))
	mux.Method(http.MethodGet, "/connect", connect)
	mux.Method(http.MethodPost, "/connect", connect)
	conns := &connectionRoutes{cfg: d.Connect, upstream: d.Conns, g: g}
	mux.Method(http.MethodGet, routeConnections, s.observed(routeConnections, conns.list))
	mux.Method(http.MethodGet, routeConnection, s.observed(routeConnection, conns.get))
	mux.Method(http.MethodDelete, routeConnection, s.observed(routeConnection, conns.remove))
	if path := d.Connect.CallbackPath; path != "" {
		mux.Method(http.MethodGet, path, s.observed(path, handleCallback(d, s.m)))
	}
	if d.Events != nil {
		if len(d.Connect.CORSOrigins) > 0 {
			mux.Method(http.MethodOptions, "/connections/events", s.observed("/connections/events", noContent))
		}
		mux.Method(http.MethodGet, "/connections/events", s.observed("/connections/events", handleEvents(d, g)))
	}
	if d.Pages != nil {
		mux.Group(func(r chi.Router) {
			r.Use(s.observedPages)
			d.Pages(r)
		})
	}
	if d.Events == nil || d.WebhookPath == "" {
		return mux
	}
	// Apideck's webhooks bypass CORS (no browser calls them) and the
	// router: the path is matched exactly and every method answered there.
	webhook := s.observed(d.WebhookPath, handleWebhook(d))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == d.WebhookPath {
			webhook.ServeHTTP(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// noContent answers a CORS preflight.
func noContent(w http.ResponseWriter, _ *http.Request) (outcome, error) {
	w.WriteHeader(http.StatusNoContent)
	return outcome{}, nil
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
func methodNotAllowed(mux *chi.Mux) endpoint {
	return func(w http.ResponseWriter, r *http.Request) (outcome, error) {
		path := cmp.Or(r.URL.RawPath, r.URL.Path)
		var out outcome
		var allowed []string
		for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost,
			http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions} {
			if pattern := mux.Find(chi.NewRouteContext(), m, path); pattern != "" {
				// chi leaves the route pattern empty on a 405.
				allowed, out.route = append(allowed, m), pattern
			}
		}
		if len(allowed) == 0 {
			// chi also lands here for methods it does not know, on any path.
			return out, &refusal{code: codeNotFound}
		}
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		return out, &refusal{code: codeMethodNotAllowed}
	}
}
