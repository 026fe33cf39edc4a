package app

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

// Run reads only the environment it is given, so configurations are
// checked side by side.
func TestRunCheck(t *testing.T) {
	t.Parallel()
	good := []string{
		"APIDECK_API_KEY=" + testAPIKey, "APIDECK_APP_ID=app", "AUTH_JWKS_URL=https://idp.example.test/jwks.json",
		"AUTH_ISSUER=https://idp.example.test/", "AUTH_AUDIENCE=vaultgate",
	}
	tests := []struct {
		name    string
		environ []string
		args    []string
		want    string // in the output, or in the error when wantErr
		wantErr bool
	}{
		{"good", good, []string{"-check"}, "configuration OK", false},
		{"every problem", []string{"APIDECK_TIMEOUT=soon", "OTEL_EXPORTER_OTLP_ENDPOINT=http://c:4318", "OTEL_EXPORTER_OTLP_PROTOCOL=grpc"},
			[]string{"-check"}, "APIDECK_API_KEY", true},
		{"tracing problems with the rest", append(good, "OTEL_EXPORTER_OTLP_ENDPOINT=http://c:4318", "OTEL_EXPORTER_OTLP_PROTOCOL=grpc"),
			[]string{"-check"}, "OTEL_EXPORTER_OTLP_PROTOCOL", true},
		{"a typo", append(good, "APIDECK_APPID=app"), []string{"-check"}, "APIDECK_APPID: unknown variable; did you mean APIDECK_APP_ID?", true},
		{"demo needs nothing", nil, []string{"-demo", "-check"}, "demo configuration OK", false},
		{"unexpected argument", good, []string{"-check", "serve"}, "unexpected argument", true},
		{"healthcheck with a bad ADMIN_ADDR", []string{"ADMIN_ADDR=nonsense"}, []string{"healthcheck"}, "ADMIN_ADDR", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			err := Run(t.Context(), tt.environ, tt.args, &out, io.Discard)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Run = %v, want error %v", err, tt.wantErr)
			}
			got := out.String()
			if err != nil {
				got = err.Error()
			}
			if !strings.Contains(got, tt.want) {
				t.Errorf("got %q, want it to hold %q", got, tt.want)
			}
			if strings.Contains(got, testAPIKey) {
				t.Error("the output holds the API key")
			}
		})
	}
}
