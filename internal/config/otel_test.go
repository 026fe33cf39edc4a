package config

import (
	"strings"
	"testing"
)

func TestTracing(t *testing.T) {
	t.Parallel()
	const (
		endpoint        = "http://127.0.0.1:4318"
		envSDKDisabled  = "OTEL_SDK_DISABLED"
		envExporter     = "OTEL_TRACES_EXPORTER"
		envEndpoint     = "OTEL_EXPORTER_OTLP_ENDPOINT"
		envTraces       = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
		envProtocol     = "OTEL_EXPORTER_OTLP_PROTOCOL"
		envTracesProto  = "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"
		defaultEndpoint = endpoint + "/v1/traces"
	)
	cases := []struct {
		name    string
		env     map[string]string
		want    string   // the endpoint spans go to; "" is off
		wantErr []string // substrings, all of which the error must hold
	}{
		{name: "nothing set"},
		{name: "only a service name", env: map[string]string{"OTEL_SERVICE_NAME": "gw"}},
		{name: "blank endpoint", env: map[string]string{envEndpoint: "  "}},
		{name: "endpoint with a stray space", env: map[string]string{envEndpoint: " " + endpoint}, wantErr: []string{envEndpoint}},
		{name: "general endpoint", env: map[string]string{envEndpoint: endpoint}, want: defaultEndpoint},
		{name: "general endpoint with a base path", env: map[string]string{envEndpoint: endpoint + "/otlp/"}, want: endpoint + "/otlp/v1/traces"},
		{name: "traces endpoint", env: map[string]string{envTraces: endpoint + "/custom"}, want: endpoint + "/custom"},
		{name: "traces endpoint wins", env: map[string]string{envEndpoint: "http://other:4318", envTraces: endpoint + "/custom"}, want: endpoint + "/custom"},
		{name: "sdk disabled", env: map[string]string{envEndpoint: endpoint, envSDKDisabled: "true"}},
		{name: "sdk disabled, any case", env: map[string]string{envEndpoint: endpoint, envSDKDisabled: " TRUE "}},
		{name: "sdk disabled false", env: map[string]string{envEndpoint: endpoint, envSDKDisabled: "false"}, want: defaultEndpoint},
		{name: "exporter none", env: map[string]string{envEndpoint: endpoint, envExporter: "none"}},
		{name: "exporter otlp", env: map[string]string{envEndpoint: endpoint, envExporter: "otlp"}, want: defaultEndpoint},
		{name: "http/protobuf", env: map[string]string{envEndpoint: endpoint, envProtocol: "http/protobuf"}, want: defaultEndpoint},
		{name: "http/json", env: map[string]string{envEndpoint: endpoint, envTracesProto: "http/json"}, want: defaultEndpoint},
		{
			name:    "grpc is refused, not ignored",
			env:     map[string]string{envEndpoint: endpoint, envProtocol: "grpc"},
			wantErr: []string{envProtocol, "grpc is not supported"},
		},
		{
			name:    "traces protocol wins over the general one",
			env:     map[string]string{envEndpoint: endpoint, envProtocol: "http/protobuf", envTracesProto: "grpc"},
			wantErr: []string{envTracesProto, "grpc"},
		},
		{
			name: "traces protocol fixes a general grpc",
			env:  map[string]string{envEndpoint: endpoint, envProtocol: "grpc", envTracesProto: "http/protobuf"},
			want: defaultEndpoint,
		},
		{name: "unknown protocol", env: map[string]string{envEndpoint: endpoint, envProtocol: "thrift"}, wantErr: []string{envProtocol}},
		{name: "other exporter", env: map[string]string{envEndpoint: endpoint, envExporter: "zipkin"}, wantErr: []string{envExporter}},
		{
			name:    "every problem at once",
			env:     map[string]string{envEndpoint: "collector:4318", envTraces: "/v1/traces", envProtocol: "grpc", envExporter: "jaeger"},
			wantErr: []string{envEndpoint + ":", envTraces + ":", envProtocol, envExporter},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := fromMap(with(requiredEnv(), tc.env))
			if len(tc.wantErr) == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if c.Tracing.Endpoint != tc.want {
					t.Errorf("endpoint = %q, want %q", c.Tracing.Endpoint, tc.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want one naming %q", tc.wantErr)
			}
			for _, s := range tc.wantErr {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not name %q", err, s)
				}
			}
		})
	}
}

// An endpoint may carry credentials; a complaint about it must not repeat it.
func TestTracingErrorOmitsEndpoint(t *testing.T) {
	t.Parallel()
	_, err := fromMap(with(requiredEnv(), map[string]string{
		"OTEL_EXPORTER_OTLP_ENDPOINT": "collector-user:s3cr3t-pass@otel:4318",
	}))
	if err == nil {
		t.Fatal("no error for an endpoint without scheme")
	}
	if strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("error %q repeats the endpoint", err)
	}
}
