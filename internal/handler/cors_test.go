package handler

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestCORS runs through a real listener, as browsers would.
func TestCORS(t *testing.T) {
	tests := []struct {
		name        string
		origins     []string
		method      string
		headers     []string
		wantStatus  int
		wantOrigin  string // Access-Control-Allow-Origin
		wantCreds   bool
		wantMethods bool // Access-Control-Allow-Methods present
	}{
		{"preflight allowed", []string{"https://app.example.com"}, "OPTIONS",
			[]string{"Origin", "https://app.example.com", "Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "authorization, content-type"},
			204, "https://app.example.com", true, true},
		{"preflight other origin", []string{"https://app.example.com"}, "OPTIONS",
			[]string{"Origin", "https://evil.example", "Access-Control-Request-Method", "POST"}, 204, "", false, false},
		{"preflight sibling origin not matched by prefix", []string{"https://app.example.com"}, "OPTIONS",
			[]string{"Origin", "https://app.example.com.evil.example", "Access-Control-Request-Method", "POST"}, 204, "", false, false},
		{"preflight with star configured allows nothing", []string{"*"}, "OPTIONS",
			[]string{"Origin", "https://evil.example", "Access-Control-Request-Method", "POST"}, 204, "", false, false},
		{"preflight wildcard pattern is literal", []string{"https://*.example.com"}, "OPTIONS",
			[]string{"Origin", "https://evil.example.com", "Access-Control-Request-Method", "POST"}, 204, "", false, false},
		{"preflight disallowed method", []string{"https://app.example.com"}, "OPTIONS",
			[]string{"Origin", "https://app.example.com", "Access-Control-Request-Method", "DELETE"}, 204, "", false, false},
		{"no CORS configured", nil, "OPTIONS",
			[]string{"Origin", "https://app.example.com", "Access-Control-Request-Method", "POST"}, 405, "", false, false},
		{"actual request allowed", []string{"https://app.example.com"}, "POST",
			[]string{"Origin", "https://app.example.com", "Authorization", "Bearer " + testToken}, 200, "https://app.example.com", true, false},
		{"actual request other origin", []string{"https://app.example.com"}, "POST",
			[]string{"Origin", "https://evil.example", "Authorization", "Bearer " + testToken}, 200, "", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.deps.Connect.CORSOrigins = tt.origins
			srv := httptest.NewServer(NewPublic(e.deps))
			t.Cleanup(srv.Close)
			r, err := http.NewRequestWithContext(t.Context(), tt.method, srv.URL+"/connect", nil)
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i+1 < len(tt.headers); i += 2 {
				r.Header.Set(tt.headers[i], tt.headers[i+1])
			}
			resp, err := srv.Client().Do(r)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if got := resp.Header.Get("Access-Control-Allow-Origin"); got != tt.wantOrigin {
				t.Errorf("Allow-Origin = %q, want %q", got, tt.wantOrigin)
			}
			if got := resp.Header.Get("Access-Control-Allow-Credentials") == "true"; got != tt.wantCreds {
				t.Errorf("Allow-Credentials = %v, want %v", got, tt.wantCreds)
			}
			if got := resp.Header.Get("Access-Control-Allow-Methods") != ""; got != tt.wantMethods {
				t.Errorf("Allow-Methods present = %v, want %v", got, tt.wantMethods)
			}
			if tt.wantOrigin != "" && tt.method != "OPTIONS" && resp.Header.Get("Access-Control-Expose-Headers") != headerRequestID {
				t.Errorf("Expose-Headers = %q", resp.Header.Get("Access-Control-Expose-Headers"))
			}
			if resp.Header.Get("Cache-Control") != "no-store" || resp.Header.Get(headerRequestID) == "" {
				t.Error("security headers missing")
			}
		})
	}
}
