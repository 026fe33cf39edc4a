package app

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// waitSpans polls until the exporter holds n spans of kind, which end just
// around the time the response reaches the client.
func waitSpans(t *testing.T, exp *tracetest.InMemoryExporter, kind trace.SpanKind, n int) []tracetest.SpanStub {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		var out []tracetest.SpanStub
		for _, s := range exp.GetSpans() {
			if s.SpanKind == kind {
				out = append(out, s)
			}
		}
		if len(out) >= n || time.Now().After(deadline) {
			if len(out) != n {
				t.Fatalf("%d %v spans, want %d", len(out), kind, n)
			}
			return out
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestTracingConnectEndToEnd(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	s := startStack(t, nil, traced(tp))
	tok := s.token(t)

	// The app's own tracing continues into vaultgate and on to Apideck.
	const callerTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
	redirect := "https://app.example.com/integrations/done-7f3a"
	h := bearer(tok)
	h.Set("Accept", "application/json")
	h.Set("traceparent", "00-"+callerTrace+"-00f067aa0ba902b7-01")
	h.Set("baggage", "tenant=internal-7")
	res, _ := do(t, "GET", s.public+"/connect?unified_apis=crm&redirect_uri="+url.QueryEscape(redirect), h, "")
	got := wantSession(t, res)
	server := waitSpans(t, exp, trace.SpanKindServer, 1)[0]
	client := waitSpans(t, exp, trace.SpanKindClient, 1)[0]

	if server.Name != "GET /connect" {
		t.Errorf("server span %q, want \"GET /connect\"", server.Name)
	}
	if client.Name != "POST /vault/sessions" {
		t.Errorf("client span %q, want \"POST /vault/sessions\"", client.Name)
	}
	if server.SpanContext.TraceID().String() != callerTrace {
		t.Errorf("server trace %s, want the caller's %s", server.SpanContext.TraceID(), callerTrace)
	}
	if client.SpanContext.TraceID() != server.SpanContext.TraceID() || client.Parent.SpanID() != server.SpanContext.SpanID() {
		t.Error("the Apideck call is not a child span of the /connect request")
	}
	attrs := attrMap(server.Attributes)
	if attrs["http.route"] != "/connect" || attrs["vaultgate.consumer_id"] != "org_acme" {
		t.Errorf("server attributes route=%q consumer=%q", attrs["http.route"], attrs["vaultgate.consumer_id"])
	}

	// Apideck got the client span as its parent, and nothing else of ours.
	up := s.sim.LastRequest().Header
	wantParent := "00-" + client.SpanContext.TraceID().String() + "-" + client.SpanContext.SpanID().String() + "-01"
	if tp := up.Get("traceparent"); tp != wantParent {
		t.Errorf("traceparent at Apideck %q, want %q", tp, wantParent)
	}
	if bg := up.Get("baggage"); bg != "" {
		t.Errorf("caller's baggage %q forwarded to Apideck", bg)
	}

	lines := s.logs.AccessLines(t)
	if len(lines) != 1 || lines[0]["trace_id"] != callerTrace {
		t.Errorf("access lines %v, want one with trace_id %s", lines, callerTrace)
	}

	// A cookie-borne POST and a failing call add their spans too.
	cookie := http.Header{"Cookie": {"app_session=" + tok}, "Accept": {"application/json"}}
	if res, b := do(t, "POST", s.public+"/connect", cookie, ""); res.StatusCode != http.StatusOK {
		t.Fatalf("cookie POST: %d %s", res.StatusCode, b)
	}
	s.sim.QueueStatuses(401)
	do(t, "POST", s.public+"/connect", bearer(tok), "")
	servers := waitSpans(t, exp, trace.SpanKindServer, 3)
	failed := attrMap(servers[2].Attributes)
	if failed["vaultgate.problem_code"] != "upstream_auth" {
		t.Errorf("problem code on the failed request's span = %q", failed["vaultgate.problem_code"])
	}

	secrets := map[string]string{
		"API key": testAPIKey, "bearer token / cookie value": tok,
		"session token": got.SessionToken, "session URI": got.SessionURI,
		"query string": "redirect_uri", "redirect target": "done-7f3a",
	}
	for _, sp := range exp.GetSpans() {
		for _, kv := range sp.Attributes {
			if kv.Key == "url.query" {
				t.Errorf("span %q records url.query", sp.Name)
			}
			for what, sec := range secrets {
				if strings.Contains(kv.Value.String(), sec) {
					t.Errorf("span %q attribute %s holds the %s", sp.Name, kv.Key, what)
				}
			}
		}
		for what, sec := range secrets {
			if strings.Contains(sp.Name, sec) || strings.Contains(sp.Status.Description, sec) {
				t.Errorf("span %q name or status holds the %s", sp.Name, what)
			}
		}
	}
}

func TestNoTracingWithoutProvider(t *testing.T) {
	s := startStack(t, nil)
	h := bearer(s.token(t))
	h.Set("Accept", "application/json")
	h.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	if res, b := do(t, "GET", s.public+"/connect", h, ""); res.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", res.StatusCode, b)
	}
	if tp := s.sim.LastRequest().Header.Get("traceparent"); tp != "" {
		t.Errorf("traceparent %q sent to Apideck with tracing off", tp)
	}
	for _, line := range s.logs.AccessLines(t) {
		if _, ok := line["trace_id"]; ok {
			t.Errorf("access line has a trace_id with tracing off: %v", line)
		}
	}
}

func attrMap(kvs []attribute.KeyValue) map[string]string {
	m := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		m[string(kv.Key)] = kv.Value.String()
	}
	return m
}
