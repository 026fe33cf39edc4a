package tracing

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// The variables decided here. The SDK and the OTLP exporter read the rest
// themselves: OTEL_EXPORTER_OTLP_{,TRACES_}{HEADERS,TIMEOUT,COMPRESSION,
// CERTIFICATE,...}, OTEL_TRACES_SAMPLER(_ARG), OTEL_BSP_*,
// OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES.
const (
	envSDKDisabled    = "OTEL_SDK_DISABLED"
	envTracesExporter = "OTEL_TRACES_EXPORTER"
	envEndpoint       = "OTEL_EXPORTER_OTLP_ENDPOINT"
	envTracesEndpoint = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
	envProtocol       = "OTEL_EXPORTER_OTLP_PROTOCOL"
	envTracesProtocol = "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"
)

// Enabled reports whether the environment read through getenv asks for
// tracing: an OTLP endpoint is set (the general or the traces one), the SDK
// is not disabled and the traces exporter is not "none". Tracing is opt-in
// so a deployment without a collector pays nothing, not even failed
// exports to a default localhost endpoint.
//
// When tracing is asked for, the error lists every setting this build
// cannot honour (gRPC export, another exporter, an endpoint that is not an
// http(s) URL), so a misconfiguration stops start-up instead of silently
// dropping spans. Error messages never repeat an endpoint: it may carry
// credentials.
func Enabled(getenv func(string) string) (bool, error) {
	get := func(name string) string { return strings.TrimSpace(getenv(name)) }
	if strings.EqualFold(get(envSDKDisabled), "true") {
		return false, nil
	}
	exporter := strings.ToLower(get(envTracesExporter))
	if exporter == "none" {
		return false, nil
	}
	general, traces := get(envEndpoint), get(envTracesEndpoint)
	if general == "" && traces == "" {
		return false, nil
	}

	var errs []error
	if exporter != "" && exporter != "otlp" {
		errs = append(errs, fmt.Errorf("%s: only otlp (or none) is supported", envTracesExporter))
	}
	for _, name := range []string{envEndpoint, envTracesEndpoint} {
		// Checked untrimmed: the exporter parses the raw value, and one it
		// cannot parse it would log verbatim and replace with localhost.
		if v := getenv(name); v != "" && !httpURL(v) {
			errs = append(errs, fmt.Errorf("%s: must be an absolute http(s) URL", name))
		}
	}
	// The traces-specific variable wins over the general one, as in the
	// exporter itself.
	protoName, proto := envTracesProtocol, get(envTracesProtocol)
	if proto == "" {
		protoName, proto = envProtocol, get(envProtocol)
	}
	switch proto {
	case "", "http/protobuf", "http/json":
	case "grpc":
		// The gRPC exporter would pull in a gRPC stack for one optional
		// feature; OTLP over HTTP reaches the same collectors.
		errs = append(errs, fmt.Errorf("%s: grpc is not supported, use http/protobuf (collector port 4318)", protoName))
	default:
		errs = append(errs, fmt.Errorf("%s: must be http/protobuf or http/json", protoName))
	}
	if len(errs) > 0 {
		return true, errors.Join(errs...)
	}
	return true, nil
}

func httpURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}
