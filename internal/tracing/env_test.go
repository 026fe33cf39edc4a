package tracing

import (
	"strings"
	"testing"
)

func TestEnabled(t *testing.T) {
	t.Parallel()
	const endpoint = "http://127.0.0.1:4318"
	cases := []struct {
		name    string
		env     map[string]string
		want    bool
		wantErr []string // substrings, all of which the error must hold
	}{
		{name: "nothing set", env: nil, want: false},
		{name: "only a service name", env: map[string]string{"OTEL_SERVICE_NAME": "gw"}, want: false},
		{name: "blank endpoint", env: map[string]string{envEndpoint: "  "}, want: false},
		{
			name:    "endpoint with a stray space",
			env:     map[string]string{envEndpoint: " " + endpoint},
			want:    true,
			wantErr: []string{envEndpoint},
		},
		{name: "general endpoint", env: map[string]string{envEndpoint: endpoint}, want: true},
		{name: "traces endpoint", env: map[string]string{envTracesEndpoint: endpoint + "/v1/traces"}, want: true},
		{name: "sdk disabled", env: map[string]string{envEndpoint: endpoint, envSDKDisabled: "true"}, want: false},
		{name: "sdk disabled, any case", env: map[string]string{envEndpoint: endpoint, envSDKDisabled: " TRUE "}, want: false},
		{name: "sdk disabled false", env: map[string]string{envEndpoint: endpoint, envSDKDisabled: "false"}, want: true},
		{name: "exporter none", env: map[string]string{envEndpoint: endpoint, envTracesExporter: "none"}, want: false},
		{name: "exporter otlp", env: map[string]string{envEndpoint: endpoint, envTracesExporter: "otlp"}, want: true},
		{name: "http/protobuf", env: map[string]string{envEndpoint: endpoint, envProtocol: "http/protobuf"}, want: true},
		{name: "http/json", env: map[string]string{envEndpoint: endpoint, envTracesProtocol: "http/json"}, want: true},
		{
			name:    "grpc is refused, not ignored",
			env:     map[string]string{envEndpoint: endpoint, envProtocol: "grpc"},
			want:    true,
			wantErr: []string{envProtocol, "grpc is not supported"},
		},
		{
			name:    "traces protocol wins over the general one",
			env:     map[string]string{envEndpoint: endpoint, envProtocol: "http/protobuf", envTracesProtocol: "grpc"},
			want:    true,
			wantErr: []string{envTracesProtocol, "grpc"},
		},
		{
			name: "traces protocol fixes a general grpc",
			env:  map[string]string{envEndpoint: endpoint, envProtocol: "grpc", envTracesProtocol: "http/protobuf"},
			want: true,
		},
		{
			name:    "unknown protocol",
			env:     map[string]string{envEndpoint: endpoint, envProtocol: "thrift"},
			want:    true,
			wantErr: []string{envProtocol},
		},
		{
			name:    "other exporter",
			env:     map[string]string{envEndpoint: endpoint, envTracesExporter: "zipkin"},
			want:    true,
			wantErr: []string{envTracesExporter},
		},
		{
			name:    "every problem at once",
			env:     map[string]string{envEndpoint: "collector:4318", envTracesEndpoint: "/v1/traces", envProtocol: "grpc", envTracesExporter: "jaeger"},
			want:    true,
			wantErr: []string{envEndpoint + ":", envTracesEndpoint + ":", envProtocol, envTracesExporter},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := Enabled(func(name string) string { return tc.env[name] })
			if got != tc.want {
				t.Errorf("Enabled = %v, want %v", got, tc.want)
			}
			if len(tc.wantErr) == 0 {
				if err != nil {
					t.Errorf("unexpected error: %v", err)
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
func TestEnabledErrorOmitsEndpoint(t *testing.T) {
	t.Parallel()
	const bad = "collector-user:s3cr3t-pass@otel:4318"
	_, err := Enabled(func(name string) string {
		if name == envEndpoint {
			return bad
		}
		return ""
	})
	if err == nil {
		t.Fatal("no error for an endpoint without scheme")
	}
	if strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("error %q repeats the endpoint", err)
	}
}
