package tracing

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/rs/zerolog"
	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"
)

// collector is a loopback OTLP/HTTP receiver that keeps what it is sent.
type collector struct {
	srv *httptest.Server

	mu       sync.Mutex
	paths    []string
	headers  []http.Header
	requests []*coltrace.ExportTraceServiceRequest
}

func newCollector(t *testing.T) *collector {
	t.Helper()
	c := &collector{}
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var req coltrace.ExportTraceServiceRequest
		if err := proto.Unmarshal(body, &req); err != nil {
			t.Errorf("collector: %v", err)
		}
		c.mu.Lock()
		c.paths = append(c.paths, r.URL.Path)
		c.headers = append(c.headers, r.Header.Clone())
		c.requests = append(c.requests, &req)
		c.mu.Unlock()
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	t.Cleanup(c.srv.Close)
	return c
}

// spans lists "service.name/span name" for every span received.
func (c *collector) spans() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, req := range c.requests {
		for _, rs := range req.GetResourceSpans() {
			service := ""
			for _, kv := range rs.GetResource().GetAttributes() {
				if kv.GetKey() == "service.name" {
					service = kv.GetValue().GetStringValue()
				}
			}
			for _, ss := range rs.GetScopeSpans() {
				for _, s := range ss.GetSpans() {
					out = append(out, service+"/"+s.GetName())
				}
			}
		}
	}
	return out
}

// Start exports to the endpoint it is given; the SDK still reads the
// standard variables config leaves to it (headers, service name).
// Not parallel: it sets the process environment.
func TestStartExportsOverOTLPHTTP(t *testing.T) {
	cases := []struct {
		name, serviceName, wantService string
	}{
		{"default service name", "", "vaultgate"},
		{"OTEL_SERVICE_NAME", "gateway-eu", "gateway-eu"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			col := newCollector(t)
			t.Setenv("OTEL_EXPORTER_OTLP_HEADERS", "x-collector-auth=abc123")
			t.Setenv("OTEL_SERVICE_NAME", tc.serviceName)
			t.Setenv("OTEL_TRACES_SAMPLER", "")

			var logs bytes.Buffer
			in, err := Start(t.Context(), Options{Endpoint: col.srv.URL + "/v1/traces", ServiceVersion: "v9.9.9"}, zerolog.New(&logs))
			if err != nil {
				t.Fatalf("Start: %v", err)
			}
			if !in.Enabled() {
				t.Fatal("tracing off with an endpoint set")
			}
			h := in.Handler(&okHandler{})
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/connect", nil))
			if err := in.Shutdown(t.Context()); err != nil {
				t.Fatalf("Shutdown: %v", err)
			}

			if got := col.spans(); len(got) != 1 || got[0] != tc.wantService+"/GET" {
				t.Errorf("spans received %q, want [%s/GET]", got, tc.wantService)
			}
			col.mu.Lock()
			defer col.mu.Unlock()
			if len(col.paths) == 0 || col.paths[0] != "/v1/traces" {
				t.Errorf("paths %q, want /v1/traces", col.paths)
			}
			if len(col.headers) > 0 {
				if got := col.headers[0].Get("x-collector-auth"); got != "abc123" {
					t.Errorf("OTEL_EXPORTER_OTLP_HEADERS not sent: %q", got)
				}
				if ct := col.headers[0].Get("Content-Type"); ct != "application/x-protobuf" {
					t.Errorf("content type %q, want http/protobuf", ct)
				}
			}
			if !strings.Contains(logs.String(), "tracing enabled") {
				t.Errorf("no start-up line: %s", logs.String())
			}
		})
	}
}

func TestStartOff(t *testing.T) {
	t.Parallel()
	in, err := Start(t.Context(), Options{ServiceVersion: "v1"}, zerolog.Nop())
	if err != nil || in.Enabled() {
		t.Fatalf("Start = enabled %v, %v; want off", in.Enabled(), err)
	}
	h := &okHandler{}
	if got, ok := in.Handler(h).(*okHandler); !ok || got != h {
		t.Error("handler wrapped with tracing off")
	}
}
