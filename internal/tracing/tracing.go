// Package tracing adds optional OpenTelemetry tracing: a server span per
// public request, a client span per Apideck call, and W3C trace context
// carried from the incoming request to Apideck. It is off unless the
// standard OTEL_* variables ask for it (internal/config decides), and off
// it costs nothing: handlers and transports are returned unwrapped.
package tracing

import (
	"context"
	"net/http"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// operation names the server instrumentation; span names come from the
// request ("GET", renamed to "GET /connect" once the route is known).
const operation = "vaultgate"

// Instrumentation wraps handlers and transports with spans from one
// TracerProvider. The zero value (and a nil pointer) is tracing off.
type Instrumentation struct {
	tp       trace.TracerProvider
	shutdown func(context.Context) error // nil when the provider is not ours
}

// New instruments with tp, which the caller owns and shuts down (tests
// pass an SDK provider with an in-memory exporter). A nil tp is off.
func New(tp trace.TracerProvider) *Instrumentation {
	return &Instrumentation{tp: tp}
}

// Enabled reports whether spans are made.
func (i *Instrumentation) Enabled() bool { return i != nil && i.tp != nil }

// Handler wraps h in a server span that continues an incoming trace
// (traceparent, tracestate, baggage). Off, it returns h itself.
//
// The span records what otelhttp records for a server: method, scheme,
// host, path, peer and client address, user agent, status. Never the query
// string (redirect_uri and friends) or request headers (Authorization,
// Cookie): otelhttp records neither, and the tests hold it to that.
func (i *Instrumentation) Handler(h http.Handler) http.Handler {
	if !i.Enabled() {
		return h
	}
	return otelhttp.NewHandler(h, operation,
		otelhttp.WithTracerProvider(i.tp),
		otelhttp.WithPropagators(inbound()),
		// Request metrics are Prometheus's job here; a no-op meter keeps
		// otelhttp off the process-global meter provider.
		otelhttp.WithMeterProvider(noop.NewMeterProvider()),
	)
}

// WrapTransport returns what upstream.Config.WrapTransport takes: a wrapper
// adding a client span and trace headers to every request. Off, it returns
// nil so the client keeps its plain transport.
func (i *Instrumentation) WrapTransport() func(http.RoundTripper) http.RoundTripper {
	if !i.Enabled() {
		return nil
	}
	return func(base http.RoundTripper) http.RoundTripper {
		return &transport{
			Transport: otelhttp.NewTransport(base,
				otelhttp.WithTracerProvider(i.tp),
				otelhttp.WithPropagators(outbound()),
				otelhttp.WithMeterProvider(noop.NewMeterProvider()),
				otelhttp.WithSpanNameFormatter(clientSpanName),
			),
			base: base,
		}
	}
}

// Shutdown flushes buffered spans and stops the exporter, within ctx. It
// does nothing when tracing is off or the provider came from New.
func (i *Instrumentation) Shutdown(ctx context.Context) error {
	if i == nil || i.shutdown == nil {
		return nil
	}
	return i.shutdown(ctx)
}

// inbound continues traces from the caller: W3C trace context and baggage.
func inbound() propagation.TextMapPropagator {
	return propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
}

// outbound sends only W3C trace context to Apideck. Baggage is left out on
// purpose: it is whatever the caller (a browser, or the company's own
// services) put there, and a third party has no business receiving it.
func outbound() propagation.TextMapPropagator {
	return propagation.TraceContext{}
}

// clientSpanName is "{method} {path}"; the session endpoint's path is fixed
// and carries nothing secret, and it reads better in a trace than a bare
// method.
func clientSpanName(_ string, r *http.Request) string {
	return r.Method + " " + r.URL.Path
}

// transport is otelhttp's transport plus CloseIdleConnections, which it
// does not forward: without it the upstream client's Close would leave the
// pooled connections open.
type transport struct {
	*otelhttp.Transport
	base http.RoundTripper
}

// CloseIdleConnections closes the wrapped transport's idle connections.
func (t *transport) CloseIdleConnections() {
	if c, ok := t.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}
