package main

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/vaultgate/vaultgate/internal/testkit"
)

// startRun runs the command on a loopback port until the test ends and
// returns the URL it printed.
func startRun(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"-addr", "127.0.0.1:0", "-api-key", "k", "-app-id", "a"}, args...), pw, io.Discard)
		_ = pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("reading URL: %v", err)
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run returned %v after shutdown", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("run did not return after cancel")
		}
	})
	url := strings.TrimSpace(line)
	if !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("printed %q, want a loopback URL", url)
	}
	return url
}

// call sends one request with the simulator's credentials (for /vault/*)
// or a JSON body (for /_sim/*) and returns status and body.
func call(t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer k")
	req.Header.Set("X-Apideck-App-Id", "a")
	req.Header.Set("X-Apideck-Consumer-Id", "c1")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestRunServesSimulator(t *testing.T) {
	url := startRun(t, "-latency", "1ms")
	if status, body := call(t, http.MethodPost, url+"/vault/sessions", ""); status != http.StatusOK ||
		!strings.Contains(body, `"session_uri":"`+url+`/session/`) {
		t.Errorf("session: status %d, body %s", status, body)
	}
	if status, body := call(t, http.MethodGet, url+"/vault/connections?api=crm", ""); status != http.StatusOK ||
		!strings.Contains(body, `"id":"crm+salesforce"`) {
		t.Errorf("connections: status %d, body %.200s", status, body)
	}
}

func TestControlFaults(t *testing.T) {
	url := startRun(t)
	if status, body := call(t, http.MethodPost, url+"/_sim/faults", `{"route":"list_connections","status":429,"count":1}`); status != http.StatusNoContent {
		t.Fatalf("POST /_sim/faults: %d %s", status, body)
	}
	if status, body := call(t, http.MethodGet, url+"/vault/connections", ""); status != 429 || !strings.Contains(body, `"type_name":"TooManyRequestsError"`) {
		t.Errorf("injected: %d %s", status, body)
	}
	if status, _ := call(t, http.MethodGet, url+"/vault/connections", ""); status != 200 {
		t.Errorf("after count: %d", status)
	}

	call(t, http.MethodPost, url+"/_sim/faults", `{"route":"*","status":503}`)
	for _, path := range []string{"/vault/connections/crm/hubspot", "/vault/sessions"} {
		method := map[bool]string{true: http.MethodPost, false: http.MethodDelete}[path == "/vault/sessions"]
		if status, _ := call(t, method, url+path, ""); status != 503 {
			t.Errorf("%s %s under *: %d, want 503", method, path, status)
		}
	}
	if status, _ := call(t, http.MethodDelete, url+"/_sim/faults", ""); status != http.StatusNoContent {
		t.Errorf("DELETE /_sim/faults: %d", status)
	}
	if status, _ := call(t, http.MethodPost, url+"/vault/sessions", ""); status != 200 {
		t.Errorf("after clearing: %d", status)
	}

	call(t, http.MethodPost, url+"/_sim/faults", `{"route":"list_connections","body":"html","count":1}`)
	if status, body := call(t, http.MethodGet, url+"/vault/connections", ""); status != 200 || !strings.Contains(body, "<html") {
		t.Errorf("html body: %d %s", status, body)
	}

	call(t, http.MethodPost, url+"/_sim/faults", `{"route":"get_connection","delay":"60ms","count":1}`)
	start := time.Now()
	if status, _ := call(t, http.MethodGet, url+"/vault/connections/crm/hubspot", ""); status != 200 || time.Since(start) < 60*time.Millisecond {
		t.Errorf("delayed: status %d after %v", status, time.Since(start))
	}

	for _, tt := range []struct {
		method, body string
		ct           string
		want         int
	}{
		{http.MethodPost, `{"route":"nope","status":500}`, "application/json", 400},
		{http.MethodPost, `{"route":"*","delay":"soon"}`, "application/json", 400},
		{http.MethodPost, `{"route":"*","body":"gzip"}`, "application/json", 400},
		{http.MethodPost, `{"route":"*","status":500,"extra":1}`, "application/json", 400},
		{http.MethodPost, `{"route":"*","status":500}`, "text/plain", 415},
		{http.MethodPost, `{"route":"*","status":500,"pad":"` + strings.Repeat("x", 5000) + `"}`, "application/json", 400},
		{http.MethodGet, "", "", 404},
	} {
		req, _ := http.NewRequestWithContext(t.Context(), tt.method, url+"/_sim/faults", strings.NewReader(tt.body))
		req.Header.Set("Content-Type", tt.ct)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.want || !strings.Contains(string(b), `"error":`) {
			t.Errorf("%s %.40s (%s): %d %s, want %d", tt.method, tt.body, tt.ct, resp.StatusCode, b, tt.want)
		}
	}
	if status, _ := call(t, http.MethodGet, url+"/vault/connections", ""); status != 200 {
		t.Errorf("a rejected injection took effect: %d", status)
	}
}

func TestControlEvents(t *testing.T) {
	got := make(chan *http.Request, 10)
	bodies := make(chan []byte, 10)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- r
		bodies <- b
	}))
	t.Cleanup(receiver.Close)
	url := startRun(t, "-webhook-url", receiver.URL+"/hook", "-webhook-encoding", "base64")

	event := `{"consumer_id":"c1","unified_api":"crm","service_id":"salesforce","event_type":"vault.connection.callable"}`
	if status, body := call(t, http.MethodPost, url+"/_sim/events", event); status != http.StatusNoContent {
		t.Fatalf("POST /_sim/events: %d %s", status, body)
	}
	r, b := <-got, <-bodies
	mac := hmac.New(sha256.New, []byte("k"))
	mac.Write(b)
	if sig := r.Header.Get("x-apideck-signature"); sig != base64.StdEncoding.EncodeToString(mac.Sum(nil)) {
		t.Errorf("signature %q does not match the base64 HMAC of the body", sig)
	}
	if r.Header.Get("x-apideck-event-type") != "vault.connection.callable" || !strings.Contains(string(b), `"consumer_id":"c1"`) {
		t.Errorf("delivery %v %s", r.Header, b)
	}
	if status, _ := call(t, http.MethodPost, url+"/_sim/events", strings.Replace(event, "salesforce", "zoho", 1)); status != 400 {
		t.Errorf("unknown connector: %d, want 400", status)
	}
	if status, _ := call(t, http.MethodPost, url+"/_sim/events", strings.Replace(event, "vault.connection.callable", "crm.contact.created", 1)); status != 400 {
		t.Errorf("other event type: %d, want 400", status)
	}

	// Without -webhook-url there is nowhere to send to.
	plain := startRun(t)
	if status, _ := call(t, http.MethodPost, plain+"/_sim/events", event); status != http.StatusConflict {
		t.Errorf("without -webhook-url: %d, want 409", status)
	}
	receiver.Close()
	if status, _ := call(t, http.MethodPost, url+"/_sim/events", event); status != http.StatusBadGateway {
		t.Errorf("receiver gone: %d, want 502", status)
	}
}

func TestControlRefusesRemotePeers(t *testing.T) {
	h := control(nil) // refused before the simulator is touched
	req := httptest.NewRequest(http.MethodDelete, "/_sim/faults", nil)
	req.RemoteAddr = "203.0.113.7:40000"
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusForbidden {
		t.Errorf("remote peer: %d, want 403", rec.Code)
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	tests := [][]string{
		{"-app-id", "a"},
		{"-api-key", "k"},
		{"-nope"},
		{"-api-key", "k", "-app-id", "a", "-webhook-url", "ftp://x"},
		{"-api-key", "k", "-app-id", "a", "-webhook-encoding", "base32"},
	}
	for _, args := range tests {
		if err := run(t.Context(), append([]string{"-addr", "127.0.0.1:0"}, args...), io.Discard, io.Discard); err == nil {
			t.Errorf("run(%q) succeeded", args)
		}
	}
}

func TestHelpDocumentsControlEndpoints(t *testing.T) {
	var out testkit.Buffer
	err := run(t.Context(), []string{"-h"}, io.Discard, &out)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("run -h: %v", err)
	}
	for _, want := range []string{"-webhook-url", "-webhook-encoding", "POST   /_sim/faults", "DELETE /_sim/faults", "POST   /_sim/events"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("-h lacks %q", want)
		}
	}
}
