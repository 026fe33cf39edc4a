package tracing

import (
	"context"
	"fmt"

	"github.com/rs/zerolog"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
)

// defaultServiceName is service.name unless OTEL_SERVICE_NAME or
// OTEL_RESOURCE_ATTRIBUTES says otherwise.
const defaultServiceName = "vaultgate"

// Options say whether and where spans are exported; the zero value is off.
// internal/config fills them from the OTEL_* variables it validates.
type Options struct {
	// Endpoint is the full OTLP/HTTP URL spans are posted to
	// (http://collector:4318/v1/traces); empty turns tracing off.
	Endpoint string
	// ServiceVersion is the resource's service.version.
	ServiceVersion string
}

// Start sets tracing up as opts say: off, or an SDK provider exporting over
// OTLP/HTTP to opts.Endpoint with a batch processor. The SDK reads the rest
// of the standard variables itself (headers, TLS, timeout, compression,
// sampler, batch sizes, resource attributes); the default sampler is
// parentbased_always_on. Call Shutdown after the listeners have drained.
//
// It installs an OpenTelemetry error handler that logs to log: the SDK
// reports failed exports only through that process-wide hook, and its
// default writes unstructured lines to stderr.
func Start(ctx context.Context, opts Options, log zerolog.Logger) (*Instrumentation, error) {
	if opts.Endpoint == "" {
		return &Instrumentation{}, nil
	}
	exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(opts.Endpoint))
	if err != nil {
		return nil, fmt.Errorf("tracing: OTLP exporter: %w", err)
	}
	res, err := resource.New(ctx,
		// Ours first, then the SDK's, then the environment, which wins.
		resource.WithAttributes(semconv.ServiceName(defaultServiceName), semconv.ServiceVersion(opts.ServiceVersion)),
		resource.WithTelemetrySDK(),
		resource.WithFromEnv(),
	)
	if err != nil {
		// A partial resource (a malformed OTEL_RESOURCE_ATTRIBUTES entry)
		// is still worth exporting with; say what was dropped.
		log.Warn().Err(err).Msg("tracing: some resource attributes were ignored")
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	tlog := log.With().Str("component", "tracing").Logger()
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		tlog.Warn().Err(err).Msg("tracing: OpenTelemetry SDK error (span export)")
	}))
	log.Info().Msg("tracing enabled: exporting spans over OTLP/HTTP")
	return &Instrumentation{tp: tp, shutdown: tp.Shutdown}, nil
}
