package handler

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/rs/zerolog"
	"go.opentelemetry.io/otel/attribute"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/vaultgate/vaultgate/internal/metrics"
)

// routeOther labels requests that matched no route, so scanners probing
// random paths cannot grow the metrics' label sets.
const routeOther = "other"

// accessLog writes exactly one "request" line per request and records the
// HTTP metrics. Handlers add what only they know (consumer, upstream
// exchange, problem code) through the requestState in the context.
func accessLog(m *metrics.Metrics) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			st := &requestState{}
			sw := &statusWriter{ResponseWriter: w}
			r = r.WithContext(withState(r.Context(), st))
			finished := false
			// Deferred so a panicking request is logged and counted too (as
			// the 500 the recovery in front of us will send); the panic
			// itself carries on to that recovery.
			defer func() {
				status := sw.Status()
				if !finished {
					status, st.code = http.StatusInternalServerError, codeInternal
				}
				elapsed := time.Since(start)
				route, method := routeLabel(r, st), methodLabel(r.Method)
				m.HTTPRequests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
				m.HTTPDuration.WithLabelValues(route, method).Observe(elapsed.Seconds())
				// Never the URL query, headers or anything the handler did
				// not put into st: those can carry tokens.
				ev := zerolog.Ctx(r.Context()).Info()
				if traceID := annotateSpan(r.Context(), method, route, st); traceID != "" {
					ev = ev.Str("trace_id", traceID)
				}
				ev.Str("method", method).
					Str("route", route).
					Int("status", status).
					Float64("duration_ms", milliseconds(elapsed)).
					Str("consumer_id", st.consumerID).
					Int("upstream_status", st.upstreamStatus).
					Float64("upstream_ms", milliseconds(st.upstreamDuration)).
					Str("code", st.code).
					Msg("request")
			}()
			next.ServeHTTP(sw, r)
			finished = true
		})
	}
}

// routeLabel is the chi route pattern that served r, or routeOther.
func routeLabel(r *http.Request, st *requestState) string {
	if st.route != "" {
		return st.route
	}
	if rctx := chi.RouteContext(r.Context()); rctx != nil {
		if p := rctx.RoutePattern(); p != "" {
			return p
		}
	}
	return routeOther
}

// annotateSpan completes the server span that tracing started, when one is
// recording: named after the route once routing has found it, with the
// consumer and problem code (never tokens, URIs or claims). It returns the
// trace id for the access line, or "" without a recording span.
func annotateSpan(ctx context.Context, method, route string, st *requestState) string {
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() {
		return ""
	}
	if route != routeOther && method != "OTHER" {
		span.SetName(method + " " + route)
		span.SetAttributes(semconv.HTTPRoute(route))
	}
	if st.consumerID != "" {
		span.SetAttributes(attribute.String("vaultgate.consumer_id", st.consumerID))
	}
	if st.code != "" {
		span.SetAttributes(attribute.String("vaultgate.problem_code", st.code))
	}
	return span.SpanContext().TraceID().String()
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

// milliseconds renders d with microsecond precision.
func milliseconds(d time.Duration) float64 {
	return float64(d.Microseconds()) / 1000
}
