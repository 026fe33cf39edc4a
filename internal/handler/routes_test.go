package handler

import (
	"net/http"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/vaultgate/vaultgate/internal/testkit"
)

func TestRoutingProblems(t *testing.T) {
	tests := []struct {
		name       string
		cors       bool
		method     string
		path       string
		wantStatus int
		wantCode   string
		wantAllow  string
	}{
		{"unknown path", false, "GET", "/nope", 404, codeNotFound, ""},
		{"root", false, "GET", "/", 404, codeNotFound, ""},
		{"trailing slash is another path", false, "GET", "/connect/", 404, codeNotFound, ""},
		{"PUT on connect", false, "PUT", "/connect", 405, codeMethodNotAllowed, "GET, POST"},
		{"HEAD on connect", false, "HEAD", "/connect", 405, codeMethodNotAllowed, "GET, POST"},
		{"DELETE with CORS", true, "DELETE", "/connect", 405, codeMethodNotAllowed, "GET, POST, OPTIONS"},
		{"unknown method on connect", false, "BREW", "/connect", 405, codeMethodNotAllowed, "GET, POST"},
		{"unknown method elsewhere", false, "BREW", "/nope", 404, codeNotFound, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			if !tt.cors {
				e.deps.Connect.CORSOrigins = nil
			}
			w := e.do(t, request(tt.method, tt.path, ""))
			if w.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d", w.Code, tt.wantStatus)
			}
			if got := w.Header().Get("Allow"); got != tt.wantAllow {
				t.Errorf("Allow = %q, want %q", got, tt.wantAllow)
			}
			if tt.method == http.MethodHead {
				return // no body to read
			}
			testkit.WantProblem(t, w.Result(), tt.wantStatus, tt.wantCode)
		})
	}
}

// TestDemoPagesMount checks that routes added to the returned mux get the
// same middleware and a correct Allow.
func TestDemoPagesMount(t *testing.T) {
	e := newEnv(t)
	e.deps.Pages = func(r chi.Router) {
		r.Get("/", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("demo")) })
	}
	mux := NewPublic(e.deps)
	w := httptestRecorder()
	mux.ServeHTTP(w, request("GET", "/", ""))
	if w.Code != 200 || w.Header().Get("X-Frame-Options") != "DENY" {
		t.Errorf("demo page: %d %v", w.Code, w.Header())
	}
	w = httptestRecorder()
	mux.ServeHTTP(w, request("POST", "/", ""))
	if w.Code != 405 || w.Header().Get("Allow") != "GET" {
		t.Errorf("POST /: %d Allow %q", w.Code, w.Header().Get("Allow"))
	}
}
