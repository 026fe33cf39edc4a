package demo

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestRelativeRedirects(t *testing.T) {
	const origin = "http://localhost:8080"
	tests := []struct{ location, want string }{
		{origin + "/session/tok", "/session/tok"},
		{origin + "/integrations/crm/salesforce?jwt=x", "/integrations/crm/salesforce?jwt=x"},
		{origin + "/?return_to=%2Fconnect", "/?return_to=%2Fconnect"},
		{origin, "/"},
		{origin + "?a=b", "/?a=b"},
		// Another origin, or a remainder a browser reads as another host.
		{"https://vault.apideck.com/session/tok", "https://vault.apideck.com/session/tok"},
		{origin + "0/x", origin + "0/x"},
		{origin + ".evil.example/x", origin + ".evil.example/x"},
		{origin + "//evil.example/x", origin + "//evil.example/x"},
		{origin + `/\evil.example/x`, origin + `/\evil.example/x`},
		{"/already/relative", "/already/relative"},
	}
	for _, tt := range tests {
		t.Run(tt.location, func(t *testing.T) {
			h := RelativeRedirects(origin + "/")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Location", tt.location)
				w.WriteHeader(http.StatusFound)
			}))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "http://127.0.0.1:8080/connect", nil))
			if got := rec.Header().Get("Location"); got != tt.want {
				t.Errorf("Location = %q, want %q", got, tt.want)
			}
		})
	}
}

// An event stream behind the front door still flushes, and a body written
// without WriteHeader still gets its Location shortened.
func TestRelativeRedirectsKeepsStreaming(t *testing.T) {
	h := RelativeRedirects("http://localhost:8080")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", "http://localhost:8080/x")
		_, _ = w.Write([]byte("data: 1\n\n"))
		if err := http.NewResponseController(w).Flush(); err != nil {
			t.Errorf("flush through the front door: %v", err)
		}
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if !rec.Flushed || rec.Header().Get("Location") != "/x" {
		t.Errorf("flushed=%v Location=%q; want true, /x", rec.Flushed, rec.Header().Get("Location"))
	}
}
