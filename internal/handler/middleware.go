package handler

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/cors"
	"github.com/rs/zerolog"
	"go.opentelemetry.io/otel/attribute"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

const headerRequestID = "X-Request-Id"

// endpoint serves one route. It writes a success itself and returns what
// the access line needs beyond status and duration; an error becomes the
// route's problem answer.
type endpoint func(w http.ResponseWriter, r *http.Request) (outcome, error)

// outcome is what an endpoint reports for the access line.
type outcome struct {
	route            string // route label when the router has none (405s)
	consumerID       string
	upstreamStatus   int
	upstreamDuration time.Duration
	code             string // problem code; empty on success
	authReason       string // why authentication refused the request; empty otherwise
	// On the webhook path: what the delivery said and which form verified.
	webhook                       bool
	eventType, webhookID, sigForm string
}

// observed wraps ep, served under the route label route: it gives the
// request an id and a logger carrying it, sets the security headers, turns
// an error into its problem and a panic into a logged stack and a 500
// problem, and counts the request and writes its one access line.
func (s *server) observed(route string, ep endpoint) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := requestID(r)
		setSecurityHeaders(w.Header(), id)
		log := s.log.With().Str("request_id", id).Logger()
		r = r.WithContext(log.WithContext(r.Context()))
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		defer func() {
			if v := recover(); v != nil {
				s.recovered(ww, r, route, v, start)
			}
		}()
		out, err := ep(ww, r)
		if err != nil {
			out.code = s.p.write(ww, r, err)
		}
		out.route = cmp.Or(out.route, route)
		// net/http sends 200 when the handler wrote nothing.
		s.m.record(r, cmp.Or(ww.Status(), http.StatusOK), time.Since(start), out)
	})
}

// observedPages wraps routes that answer by themselves (demo mode's pages)
// like the endpoints, labelled with their chi route pattern.
func (s *server) observedPages(next http.Handler) http.Handler {
	return s.observed("", func(w http.ResponseWriter, r *http.Request) (outcome, error) {
		next.ServeHTTP(w, r)
		return outcome{route: chi.RouteContext(r.Context()).RoutePattern()}, nil
	})
}

// recovered answers a panic: once the response has started, the connection
// is aborted so the client never takes a truncated answer for a whole one.
func (s *server) recovered(ww middleware.WrapResponseWriter, r *http.Request, route string, v any, start time.Time) {
	abort := v == http.ErrAbortHandler || ww.Status() != 0
	if v != http.ErrAbortHandler {
		// The path only: a query may carry tokens.
		zerolog.Ctx(r.Context()).Error().Str("method", methodLabel(r.Method)).Str("path", r.URL.Path).
			Str("panic", fmt.Sprint(v)).Bytes("stack", debug.Stack()).Msg("panic while serving a request")
	}
	if !abort {
		// Drop whatever the handler set, keeping CORS's answer.
		h := ww.Header()
		id := h.Get(headerRequestID)
		for k := range h {
			if k != "Vary" && !strings.HasPrefix(k, "Access-Control-") {
				delete(h, k)
			}
		}
		setSecurityHeaders(h, id)
		s.p.answer(ww, r, codeInternal, s.p.types[codeInternal], 0)
	}
	s.m.record(r, http.StatusInternalServerError, time.Since(start), outcome{route: route, code: codeInternal})
	if abort {
		panic(http.ErrAbortHandler)
	}
}

// requestID is the caller's X-Request-Id when it is safe to echo and log,
// else a fresh one.
func requestID(r *http.Request) string {
	if id := r.Header.Get(headerRequestID); validRequestID(id) {
		return id
	}
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails: crypto/rand crashes the program instead
	return hex.EncodeToString(b[:])
}

// setSecurityHeaders is set before anything can write, so every answer
// carries them: session URIs and tokens must never be cached, leak through
// Referer, be sniffed as another type or be framed.
func setSecurityHeaders(h http.Header, id string) {
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set(headerRequestID, id)
}

// routeOther labels requests that matched no route, so scanners probing
// random paths cannot grow the metrics' label sets.
const routeOther = "other"

// metrics are the public listener's collectors.
type metrics struct {
	requests        *prometheus.CounterVec   // route, method, code
	duration        *prometheus.HistogramVec // route, method
	authFailures    *prometheus.CounterVec   // reason
	rateLimited     *prometheus.CounterVec   // scope: user, ip
	rateLimitErrors prometheus.Counter       // shared-state failures, limiting failed open
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vaultgate_http_requests_total",
			Help: "HTTP requests answered on the public listener, by route, method and status code.",
		}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "vaultgate_http_request_duration_seconds",
			Help:    "Time to answer a public request, upstream work included.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "method"}),
		authFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vaultgate_auth_failures_total",
			Help: "Authentication failures (401/403/503 of authentication), by reason.",
		}, []string{"reason"}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vaultgate_rate_limited_total",
			Help: "Requests refused with 429, by limit scope (user, ip).",
		}, []string{"scope"}),
		rateLimitErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "vaultgate_rate_limit_errors_total",
			Help: "Rate-limit checks that failed (shared state unreachable) and were let through.",
		}),
	}
	reg.MustRegister(m.requests, m.duration, m.authFailures, m.rateLimited, m.rateLimitErrors)
	return m
}

// record counts the request and writes its access line: never the URL
// query, headers or anything the handler did not report, which can carry
// tokens.
func (m *metrics) record(r *http.Request, status int, elapsed time.Duration, out outcome) {
	route, method := cmp.Or(out.route, routeOther), methodLabel(r.Method)
	m.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(route, method).Observe(elapsed.Seconds())

	ev := zerolog.Ctx(r.Context()).Info()
	if traceID := annotateSpan(r.Context(), route, method, out); traceID != "" {
		ev = ev.Str("trace_id", traceID)
	}
	ev.Str("method", method).
		Str("route", route).
		Int("status", status).
		Float64("duration_ms", float64(elapsed.Microseconds())/1000).
		Str("consumer_id", out.consumerID).
		Int("upstream_status", out.upstreamStatus).
		Float64("upstream_ms", float64(out.upstreamDuration.Microseconds())/1000).
		Str("code", out.code)
	if out.authReason != "" {
		ev = ev.Str("auth_reason", out.authReason)
	}
	if out.webhook {
		ev = ev.Str("event_type", out.eventType).Str("webhook_id", out.webhookID).Str("sig_form", out.sigForm)
	}
	ev.Msg("request")
}

// methodLabel keeps the method label set bounded: anything but the
// standard methods becomes "OTHER".
func methodLabel(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace:
		return method
	}
	return "OTHER"
}

// annotateSpan completes the server span tracing started, when one is
// recording: named after the route, with the consumer and problem code
// (never tokens, URIs or claims). It returns the trace id, or "".
func annotateSpan(ctx context.Context, route, method string, out outcome) string {
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() {
		return ""
	}
	if route != routeOther && method != "OTHER" {
		span.SetName(method + " " + route)
		span.SetAttributes(semconv.HTTPRoute(route))
	}
	if out.consumerID != "" {
		span.SetAttributes(attribute.String("vaultgate.consumer_id", out.consumerID))
	}
	if out.code != "" {
		span.SetAttributes(attribute.String("vaultgate.problem_code", out.code))
	}
	return span.SpanContext().TraceID().String()
}

// validRequestID reports whether id is 1–128 of [A-Za-z0-9._-].
func validRequestID(id string) bool {
	return len(id) > 0 && len(id) <= 128 && !strings.ContainsFunc(id, func(c rune) bool {
		return !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-')
	})
}

// corsMiddleware answers CORS for exactly the configured origins. It does
// not hand them to rs/cors's own list, which would read "*" and
// "https://*.example.com" as wildcards: with credentials allowed, a
// wildcard would hand every matching site the user's session.
func corsMiddleware(origins []string) func(http.Handler) http.Handler {
	return cors.New(cors.Options{
		AllowOriginFunc:  func(origin string) bool { return slices.Contains(origins, origin) },
		AllowedMethods:   []string{http.MethodGet, http.MethodPost, http.MethodDelete, http.MethodOptions},
		AllowedHeaders:   []string{"Authorization", "Content-Type", headerRequestID},
		ExposedHeaders:   []string{headerRequestID},
		AllowCredentials: true,
		MaxAge:           600, // seconds a browser may cache a preflight
		// Preflights reach the router, so they are logged under their route
		// and answered (or refused) by it.
		OptionsPassthrough: true,
	}).Handler
}
