package simulator

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vaultgate/vaultgate/internal/testkit"
)

func TestQueueStatuses(t *testing.T) {
	sim, srv := startSim(t)
	sim.QueueStatuses(503, 401, 402, 404, 422, 200, 502)
	tests := []struct {
		status      int
		contentType string
		typeName    string // for JSON answers
	}{
		{503, "text/html; charset=utf-8", ""},
		{401, "application/json", "UnauthorizedError"},
		{402, "application/json", "RequestLimitError"},
		{404, "application/json", "EntityNotFoundError"},
		{422, "application/json", "InvalidStateError"},
		{200, "application/json", ""}, // a queued 2xx is a normal call
		{502, "text/html; charset=utf-8", ""},
		{200, "application/json", ""}, // queue drained
	}
	for i, tt := range tests {
		r := mustPost(t, srv.URL, validHeaders(), "")
		if r.status != tt.status || r.header.Get("Content-Type") != tt.contentType {
			t.Fatalf("call %d: status %d (%s), want %d (%s)", i, r.status, r.header.Get("Content-Type"), tt.status, tt.contentType)
		}
		if tt.typeName != "" {
			got := decode[errorBody](t, r.body)
			if got.StatusCode != tt.status || got.TypeName != tt.typeName {
				t.Errorf("call %d: body %+v, want status_code %d type_name %s", i, got, tt.status, tt.typeName)
			}
		}
		if tt.status == 200 {
			if b := decode[sessionBody](t, r.body); b.Data.SessionToken == "" {
				t.Errorf("call %d: no session in %s", i, r.body)
			}
		}
	}
	if got := sim.Calls(); got != len(tests) {
		t.Errorf("Calls = %d, want %d", got, len(tests))
	}
}

func TestQueuedStatusPrecedesValidation(t *testing.T) {
	sim, srv := startSim(t)
	sim.QueueStatuses(500)
	h := validHeaders()
	h.Del("Authorization")
	if r := mustPost(t, srv.URL, h, ""); r.status != 500 {
		t.Errorf("status = %d, want the queued 500", r.status)
	}
}

func TestLatency(t *testing.T) {
	sim, srv := startSim(t)

	// A client that gives up ends the wait: the call fails at the client
	// and the handler does not hold on for the full latency.
	sim.SetLatency(time.Hour)
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	if _, err := post(t, ctx, srv.URL, validHeaders(), ""); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want deadline exceeded", err)
	}

	sim.SetLatency(50 * time.Millisecond)
	start := time.Now()
	r := mustPost(t, srv.URL, validHeaders(), "")
	if r.status != http.StatusOK {
		t.Fatalf("status = %d", r.status)
	}
	if elapsed := time.Since(start); elapsed < 50*time.Millisecond {
		t.Errorf("answered after %v, before the 50ms latency", elapsed)
	}
	if got := sim.Calls(); got != 2 {
		t.Errorf("Calls = %d, want 2", got)
	}
}

func TestFaultHang(t *testing.T) {
	sim, srv := startSim(t)
	sim.SetFault(FaultHang)
	ctx, cancel := context.WithTimeout(t.Context(), 150*time.Millisecond)
	defer cancel()
	if _, err := post(t, ctx, srv.URL, validHeaders(), ""); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want deadline exceeded", err)
	}
	if got := sim.Calls(); got != 1 {
		t.Errorf("Calls = %d, want 1", got)
	}

	// Reset releases a held call: the client sees a dropped connection,
	// not an answer.
	done := make(chan error, 1)
	go func() {
		_, err := post(t, t.Context(), srv.URL, validHeaders(), "")
		done <- err
	}()
	testkit.Eventually(t, "the second call", func() bool { return sim.Calls() >= 2 })
	sim.Reset()
	select {
	case err := <-done:
		if err == nil {
			t.Error("a released hang answered; want a dropped connection")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Reset did not release the held call")
	}
}

func TestFaultHTML200(t *testing.T) {
	sim, srv := startSim(t)
	sim.SetFault(FaultHTML200)
	r := mustPost(t, srv.URL, validHeaders(), "")
	if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
		t.Fatalf("status %d, Content-Type %q; want 200 text/html", r.status, r.header.Get("Content-Type"))
	}
	if json.Valid(r.body) {
		t.Errorf("body is JSON: %s", r.body)
	}
}

func TestFaultResetMidBody(t *testing.T) {
	sim, srv := startSim(t)
	sim.SetFault(FaultResetMidBody)
	r, err := post(t, t.Context(), srv.URL, validHeaders(), "")
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("err = %v, want unexpected EOF", err)
	}
	if r.status != http.StatusOK || len(r.body) == 0 || json.Valid(r.body) {
		t.Errorf("status %d, %d body bytes; want 200 with a partial body", r.status, len(r.body))
	}
}

func TestFaultTrickle(t *testing.T) {
	sim, srv := startSim(t)
	sim.SetFault(FaultTrickle)
	ctx, cancel := context.WithTimeout(t.Context(), 350*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/vault/sessions", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header = validHeaders()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("headers should arrive at once: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want deadline exceeded while the body trickles", err)
	}
	if resp.ContentLength < 100 || len(b) == 0 || int64(len(b)) >= resp.ContentLength {
		t.Errorf("read %d of %d bytes; want a started but unfinished body", len(b), resp.ContentLength)
	}
	if !strings.HasPrefix(`{"status_code":200`, string(b)) {
		t.Errorf("partial body %q is not the start of a session answer", b)
	}
}

func TestFaultHugeBody(t *testing.T) {
	sim, srv := startSim(t)
	sim.SetFault(FaultHugeBody)
	r := mustPost(t, srv.URL, validHeaders(), "")
	if r.status != http.StatusOK || len(r.body) <= 2<<20 {
		t.Fatalf("status %d, %d bytes; want 200 with more than 2 MiB", r.status, len(r.body))
	}
	// A client without a size limit would accept it: it is a real session.
	if b := decode[sessionBody](t, r.body); b.Data.SessionToken == "" || b.Data.SessionURI == "" {
		t.Error("huge body lacks a session")
	}
}

func TestFaultForeignOrigin(t *testing.T) {
	sim, srv := startSim(t)
	sim.SetFault(FaultForeignOrigin)
	token, uri := createSession(t, srv.URL, "")
	if want := "https://evil.example/session/" + token; uri != want {
		t.Errorf("session_uri = %q, want %q", uri, want)
	}
}

func TestFaultMissingToken(t *testing.T) {
	sim, srv := startSim(t)
	sim.SetFault(FaultMissingToken)
	r := mustPost(t, srv.URL, validHeaders(), "")
	data := decode[struct {
		Data map[string]any `json:"data"`
	}](t, r.body).Data
	if _, ok := data["session_token"]; ok {
		t.Errorf("data = %v, want no session_token", data)
	}
	if uri, _ := data["session_uri"].(string); !strings.HasPrefix(uri, srv.URL+"/session/") {
		t.Errorf("session_uri = %q", uri)
	}
}

func TestFaultRetryAfter429(t *testing.T) {
	sim, srv := startSim(t)
	sim.SetFault(FaultRetryAfter429)
	r := mustPost(t, srv.URL, validHeaders(), "")
	if r.status != http.StatusTooManyRequests {
		t.Fatalf("status = %d, want 429", r.status)
	}
	if got := r.header.Get("Retry-After"); got != "2" {
		t.Errorf("Retry-After = %q", got)
	}
	if got := r.header.Get("retry-after-ms"); got != "2000" {
		t.Errorf("retry-after-ms = %q", got)
	}
	if b := decode[errorBody](t, r.body); b.StatusCode != 429 {
		t.Errorf("body = %+v", b)
	}
}

func TestSessionFaultsKeepValidation(t *testing.T) {
	for _, f := range []Fault{FaultForeignOrigin, FaultMissingToken, FaultHugeBody} {
		t.Run(f.String(), func(t *testing.T) {
			sim, srv := startSim(t)
			sim.SetFault(f)
			h := validHeaders()
			h.Set("Authorization", "Bearer wrong")
			if r := mustPost(t, srv.URL, h, ""); r.status != http.StatusUnauthorized {
				t.Errorf("status = %d, want 401", r.status)
			}
		})
	}
}

func TestResetClearsFaults(t *testing.T) {
	sim, srv := startSim(t)
	sim.SetFault(FaultHTML200)
	sim.QueueStatuses(503)
	sim.SetLatency(time.Hour)
	sim.Reset()
	r := mustPost(t, srv.URL, validHeaders(), "")
	if r.status != http.StatusOK || r.header.Get("Content-Type") != "application/json" {
		t.Errorf("after Reset: status %d, Content-Type %q", r.status, r.header.Get("Content-Type"))
	}
}

func TestInternalErrorIsApideckShaped(t *testing.T) {
	r := internalError()
	if r.status != 500 || r.contentType != "application/json" {
		t.Fatalf("status %d, %s", r.status, r.contentType)
	}
	if b := decode[errorBody](t, r.body); b.StatusCode != 500 || b.TypeName != typeGeneric || b.Ref != errorsRef+"apierror" {
		t.Errorf("body %+v", b)
	}
}
