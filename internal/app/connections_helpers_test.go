package app

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vaultgate/vaultgate/internal/simulator"
)

// browserMembers are the members of a connection a browser may see.
var browserMembers = map[string]bool{"id": true, "unified_api": true, "service_id": true, "name": true,
	"tag_line": true, "website": true, "icon": true, "logo": true, "auth_type": true, "state": true,
	"health": true, "enabled": true, "created_at": true, "updated_at": true}

// browserClient sends requests as a browser page would, checks that no
// answer is a 500 and each carries the security headers, and keeps every
// answer's body, to check at the end that none holds an upstream secret.
type browserClient struct {
	t      *testing.T
	base   string
	header http.Header
	bodies []string
}

func (b *browserClient) do(method, path string) (*http.Response, []byte) {
	b.t.Helper()
	res, body := do(b.t, method, b.base+path, b.header, "")
	b.bodies = append(b.bodies, string(body))
	if res.StatusCode == http.StatusInternalServerError {
		b.t.Errorf("%s %s: 500 %s", method, path, body)
	}
	for name, want := range map[string]string{"Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
		"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY"} {
		if got := res.Header.Get(name); got != want {
			b.t.Errorf("%s %s: %s = %q, want %q", method, path, name, got, want)
		}
	}
	if res.Header.Get("X-Request-Id") == "" {
		b.t.Errorf("%s %s: no X-Request-Id", method, path)
	}
	return res, body
}

// wantNothingHidden checks that no value Apideck sent only in members a
// browser must not see (authorize_url's state, settings.api_key, ...)
// reached a browser or the log, and that the hidden values were there to
// be found.
func (s *stack) wantNothingHidden(t *testing.T, bodies []string) {
	t.Helper()
	hidden := hiddenValues(t, s.upstream.answers())
	if len(hidden) == 0 {
		t.Fatal("the simulator sent no value a browser must not see")
	}
	for _, v := range hidden {
		for _, body := range bodies {
			if strings.Contains(body, v) {
				t.Errorf("a browser got %q, which Apideck sent only in members a browser must not see", v)
			}
		}
	}
	s.logs.WantNoSecrets(t, hidden...)
}

// hiddenValues returns the strings of at least 8 characters (and the query
// values of URLs, such as an OAuth state) that the successful answers hold
// only in connection members outside browserMembers or in their envelopes. Times
// are left out: a consent's date may well equal the connection's.
func hiddenValues(t *testing.T, answers [][]byte) []string {
	t.Helper()
	hidden, shown := map[string]bool{}, map[string]bool{}
	var collect func(v any, into map[string]bool)
	collect = func(v any, into map[string]bool) {
		switch v := v.(type) {
		case string:
			if _, err := time.Parse(time.RFC3339Nano, v); len(v) < 8 || err == nil {
				return
			}
			into[v] = true
			if u, err := url.Parse(v); err == nil {
				for _, vs := range u.Query() {
					for _, q := range vs {
						collect(q, into)
					}
				}
			}
		case []any:
			for _, e := range v {
				collect(e, into)
			}
		case map[string]any:
			for _, e := range v {
				collect(e, into)
			}
		}
	}
	for _, a := range answers {
		var envelope map[string]any
		if json.Unmarshal(a, &envelope) != nil || envelope["status_code"] != 200.0 {
			continue // HTML, a 204, nothing or an error
		}
		data := envelope["data"]
		delete(envelope, "data")
		collect(envelope, hidden)
		conns, _ := data.([]any)
		if one, ok := data.(map[string]any); ok {
			conns = []any{one}
		}
		for _, c := range conns {
			for k, v := range c.(map[string]any) {
				collect(v, map[bool]map[string]bool{true: shown, false: hidden}[browserMembers[k]])
			}
		}
	}
	var out []string
	for v := range hidden {
		if !shown[v] {
			out = append(out, v)
		}
	}
	return out
}

// wantView is the browser's view of a catalogue connector: callable with
// these Unix millisecond timestamps, or available when they are zero.
func wantView(c simulator.Connector, created, updated int64, canDisconnect bool) map[string]any {
	v := map[string]any{"id": c.ID(), "unified_api": c.UnifiedAPI, "service_id": c.ServiceID, "name": c.Name,
		"tag_line": c.TagLine, "website": c.Website, "icon": c.Icon(), "logo": c.Logo(), "auth_type": c.AuthType,
		"state": "available", "health": "needs_auth", "enabled": false,
		"connect_url": "/connect?unified_apis=" + c.UnifiedAPI + "&service_id=" + c.ServiceID, "can_disconnect": canDisconnect}
	if created != 0 {
		v["state"], v["health"], v["enabled"] = "callable", "ok", true
		v["created_at"] = time.UnixMilli(created).UTC().Format("2006-01-02T15:04:05.999Z07:00")
		v["updated_at"] = time.UnixMilli(updated).UTC().Format("2006-01-02T15:04:05.999Z07:00")
	}
	return v
}

// upstreamTimes reads a connection's created_at and updated_at from the
// simulator as Apideck's clients see them, past the recording of
// vaultgate's calls.
func upstreamTimes(t *testing.T, s *stack, consumer, api, service string) (created, updated int64) {
	t.Helper()
	req := httptest.NewRequest("GET", "/vault/connections/"+api+"/"+service, nil)
	req.Header = http.Header{"Authorization": {"Bearer " + testAPIKey}, "X-Apideck-App-Id": {testAppID}, "X-Apideck-Consumer-Id": {consumer}}
	rec := httptest.NewRecorder()
	s.sim.ServeHTTP(rec, req)
	var answer struct {
		Data struct {
			CreatedAt int64 `json:"created_at"`
			UpdatedAt int64 `json:"updated_at"`
		} `json:"data"`
	}
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &answer) != nil || answer.Data.CreatedAt == 0 {
		t.Fatalf("simulator: %d %s", rec.Code, rec.Body)
	}
	return answer.Data.CreatedAt, answer.Data.UpdatedAt
}

func catalogue(t *testing.T, api, service string) simulator.Connector {
	t.Helper()
	for _, c := range simulator.Connectors() {
		if c.UnifiedAPI == api && c.ServiceID == service {
			return c
		}
	}
	t.Fatalf("no %s/%s in the simulator's catalogue", api, service)
	return simulator.Connector{}
}

// exchangeLog records the requests a handler serves with the bodies of its
// answers. Both are recorded before the client can see the answer, so a
// test never misses an exchange that has been answered.
type exchangeLog struct {
	mu        sync.Mutex
	exchanges []*exchange
}

type exchange struct {
	request string // "METHOD /path?query consumer-id"
	answer  bytes.Buffer
}

func (l *exchangeLog) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e := &exchange{request: r.Method + " " + r.URL.RequestURI() + " " + r.Header.Get("X-Apideck-Consumer-Id")}
		l.mu.Lock()
		l.exchanges = append(l.exchanges, e)
		l.mu.Unlock()
		next.ServeHTTP(&teeWriter{ResponseWriter: w, log: l, e: e}, r)
	})
}

// requests lists the recorded requests, oldest first.
func (l *exchangeLog) requests() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, e := range l.exchanges {
		out = append(out, e.request)
	}
	return out
}

// answers lists copies of the recorded answers' bodies, oldest first.
func (l *exchangeLog) answers() [][]byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out [][]byte
	for _, e := range l.exchanges {
		out = append(out, bytes.Clone(e.answer.Bytes()))
	}
	return out
}

// teeWriter copies the body it writes into e; Unwrap lets the simulator
// still hijack the connection to drop it.
type teeWriter struct {
	http.ResponseWriter
	log *exchangeLog
	e   *exchange
}

func (w *teeWriter) Write(p []byte) (int, error) {
	w.log.mu.Lock()
	w.e.answer.Write(p)
	w.log.mu.Unlock()
	return w.ResponseWriter.Write(p)
}

func (w *teeWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
