package tracing

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.opentelemetry.io/otel/baggage"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// newRecorder is an SDK provider that keeps every ended span in memory.
func newRecorder(t *testing.T) (*sdktrace.TracerProvider, *tracetest.InMemoryExporter) {
	t.Helper()
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return tp, exp
}

// okHandler is a comparable handler, so tests can tell whether it came
// back unwrapped.
type okHandler struct{}

func (*okHandler) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	w.WriteHeader(http.StatusNoContent)
}

func TestOffWrapsNothing(t *testing.T) {
	t.Parallel()
	cases := map[string]*Instrumentation{
		"nil":          nil,
		"zero value":   {},
		"nil provider": New(nil),
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := &okHandler{}
			if got, ok := in.Handler(h).(*okHandler); !ok || got != h {
				t.Errorf("Handler returned %T, want the handler itself", in.Handler(h))
			}
			if in.WrapTransport() != nil {
				t.Error("WrapTransport is not nil: the upstream transport would be wrapped")
			}
			if in.Enabled() {
				t.Error("Enabled")
			}
			if err := in.Shutdown(t.Context()); err != nil {
				t.Errorf("Shutdown: %v", err)
			}
		})
	}
}

func TestHandlerContinuesIncomingTrace(t *testing.T) {
	t.Parallel()
	tp, exp := newRecorder(t)
	in := New(tp)
	var seen trace.SpanContext
	h := in.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = trace.SpanContextFromContext(r.Context())
		w.WriteHeader(http.StatusTeapot)
	}))

	const traceID, parentID = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	req := httptest.NewRequest(http.MethodGet, "/connect?redirect_uri=https%3A%2F%2Fapp.example%2Fx", nil)
	req.Header.Set("traceparent", "00-"+traceID+"-"+parentID+"-01")
	h.ServeHTTP(httptest.NewRecorder(), req)

	spans := exp.GetSpans()
	if len(spans) != 1 {
		t.Fatalf("%d spans, want 1", len(spans))
	}
	s := spans[0]
	if s.SpanKind != trace.SpanKindServer {
		t.Errorf("kind %v, want server", s.SpanKind)
	}
	if got := s.SpanContext.TraceID().String(); got != traceID {
		t.Errorf("trace id %s, want the incoming %s", got, traceID)
	}
	if got := s.Parent.SpanID().String(); got != parentID || !s.Parent.IsRemote() {
		t.Errorf("parent %s (remote %v), want the incoming %s", got, s.Parent.IsRemote(), parentID)
	}
	if seen.SpanID() != s.SpanContext.SpanID() {
		t.Error("the handler's context does not carry the server span")
	}
	attrs := map[string]string{}
	for _, kv := range s.Attributes {
		attrs[string(kv.Key)] = kv.Value.String()
	}
	if attrs["url.path"] != "/connect" || attrs["http.response.status_code"] != "418" {
		t.Errorf("url.path %q, status %q; want /connect, 418", attrs["url.path"], attrs["http.response.status_code"])
	}
	if _, ok := attrs["url.query"]; ok {
		t.Error("server span records url.query")
	}
	for k, v := range attrs {
		if k == "url.full" || strings.Contains(v, "redirect_uri") {
			t.Errorf("attribute %s=%q carries the query string", k, v)
		}
	}
}

func TestTransportAddsClientSpanAndTraceparentOnly(t *testing.T) {
	t.Parallel()
	tp, exp := newRecorder(t)
	in := New(tp)

	var mu sync.Mutex
	var got http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = r.Header.Clone()
		mu.Unlock()
		_, _ = io.WriteString(w, "{}")
	}))
	t.Cleanup(srv.Close)

	base := &closeCounter{RoundTripper: http.DefaultTransport.(*http.Transport).Clone()}
	client := &http.Client{Transport: in.WrapTransport()(base)}

	// A parent span and baggage, as a server span extracted from the
	// caller would leave them.
	ctx, parent := tp.Tracer("test").Start(t.Context(), "parent")
	member, _ := baggage.NewMemberRaw("tenant", "internal-7")
	bag, _ := baggage.New(member)
	ctx = baggage.ContextWithBaggage(ctx, bag)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/vault/sessions", nil)
	req.Header.Set("Authorization", "Bearer sk_never_in_a_span")
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	parent.End()

	spans := exp.GetSpans()
	var clientSpan *tracetest.SpanStub
	for i := range spans {
		if spans[i].SpanKind == trace.SpanKindClient {
			clientSpan = &spans[i]
		}
	}
	if clientSpan == nil {
		t.Fatalf("no client span among %d", len(spans))
	}
	if clientSpan.Name != "POST /vault/sessions" {
		t.Errorf("client span name %q", clientSpan.Name)
	}
	if clientSpan.Parent.SpanID() != parent.SpanContext().SpanID() {
		t.Error("client span is not a child of the caller's span")
	}

	mu.Lock()
	defer mu.Unlock()
	want := "00-" + clientSpan.SpanContext.TraceID().String() + "-" + clientSpan.SpanContext.SpanID().String() + "-01"
	if diff := cmp.Diff(want, got.Get("traceparent")); diff != "" {
		t.Errorf("traceparent (-want +got):\n%s", diff)
	}
	if b := got.Get("baggage"); b != "" {
		t.Errorf("baggage %q was sent upstream", b)
	}
	for _, kv := range clientSpan.Attributes {
		if strings.Contains(kv.Value.String(), "sk_never_in_a_span") {
			t.Errorf("attribute %s carries the Authorization value", kv.Key)
		}
	}

	client.CloseIdleConnections()
	if base.closed != 1 {
		t.Errorf("CloseIdleConnections reached the base transport %d times, want 1", base.closed)
	}
}

// closeCounter counts CloseIdleConnections calls reaching it.
type closeCounter struct {
	http.RoundTripper
	closed int
}

func (c *closeCounter) CloseIdleConnections() { c.closed++ }
