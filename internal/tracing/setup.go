package tracing

import (
	"context"
	"fmt"
	"os"

	"github.com/rs/zerolog"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"

	"github.com/vaultgate/vaultgate/internal/version"
)

// defaultServiceName is service.name unless OTEL_SERVICE_NAME or
// OTEL_RESOURCE_ATTRIBUTES says otherwise.
const defaultServiceName = "vaultgate"

// FromEnv sets tracing up as the process environment asks (see Enabled):
// off, or an SDK provider exporting over OTLP/HTTP with a batch processor.
// Everything else about the export (headers, TLS, timeout, compression,
// sampler, batch sizes, resource attributes) comes from the standard
// variables, read by the SDK itself; the default sampler is
// parentbased_always_on. Call Shutdown after the listeners have drained.
//
// It installs an OpenTelemetry error handler that logs to log: the SDK
// reports failed exports only through that process-wide hook, and its
// default writes unstructured lines to stderr.
func FromEnv(ctx context.Context, log zerolog.Logger) (*Instrumentation, error) {
	on, err := Enabled(os.Getenv)
	if err != nil {
		return nil, fmt.Errorf("tracing: %w", err)
	}
	if !on {
		return &Instrumentation{}, nil
	}
	exp, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, fmt.Errorf("tracing: OTLP exporter: %w", err)
	}
	res, err := newResource(ctx)
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

// newResource describes this process: service name and version first, then
// what the SDK adds, then the environment, which overrides both.
func newResource(ctx context.Context) (*resource.Resource, error) {
	return resource.New(ctx,
		resource.WithAttributes(
			semconv.ServiceName(defaultServiceName),
			semconv.ServiceVersion(version.Version),
		),
		resource.WithTelemetrySDK(),
		resource.WithFromEnv(),
	)
}
