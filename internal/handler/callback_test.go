package handler

import (
	"net/http"
	"strings"
	"testing"

	"github.com/vaultgate/vaultgate/internal/state"
	"github.com/vaultgate/vaultgate/internal/testkit"
)

const testCallbackURL = "https://unify.apideck.test/vault/callback"

func callbackEnv(t *testing.T) *env {
	e := newEnv(t)
	e.deps.Connect.CallbackPath, e.deps.Connect.CallbackURL = "/vault/callback", testCallbackURL
	return e
}

func TestCallbackPassesTheQueryOn(t *testing.T) {
	const code, state = "4/0AVG7fiQ-secret-code", "st-9f8e7d-secret-state"
	tests := []struct{ name, query string }{
		{"state and code", "state=" + state + "&code=" + code + "&scope=openid%20email"},
		{"provider error", "error=access_denied&error_description=The+user+denied+access&state=" + state},
		{"repeated and percent-encoded", "state=" + state + "&code=" + code + "&x=1&x=2&y=%2F%3F%26%3D%25%7E&z=a+b%20c&empty=&flag"},
		{"unusual but valid bytes", "state=" + state + "&code=" + code + "&q=%E2%9C%93;k=v&&semi=%3b"},
		{"no query", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := callbackEnv(t)
			target := "/vault/callback"
			want := testCallbackURL
			if tt.query != "" {
				target += "?" + tt.query
				want += "?" + tt.query
			}
			// A navigation without credentials: the provider sends the browser.
			w := e.do(t, request("GET", target, "", "Accept", "text/html,*/*;q=0.8"))
			if w.Code != http.StatusFound || w.Header().Get("Location") != want {
				t.Fatalf("answer %d Location %q, want 302 %q", w.Code, w.Header().Get("Location"), want)
			}
			if w.Header().Get("Cache-Control") != "no-store" || w.Header().Get("Referrer-Policy") != "no-referrer" {
				t.Errorf("headers %v", w.Header())
			}
			if line := e.logs.AccessLines(t)[0]; line["route"] != "/vault/callback" || line["status"] != 302.0 {
				t.Errorf("access line %v", line)
			}
			if tt.query != "" {
				e.logs.WantNoSecrets(t, code, state)
			}
		})
	}
}

func TestCallbackRefusals(t *testing.T) {
	e := callbackEnv(t)
	long := "state=s&code=" + strings.Repeat("c", 8<<10)
	testkit.WantProblem(t, e.do(t, request("GET", "/vault/callback?"+long, "")).Result(), 400, codeInvalidRequest)
	// Exactly 8 KiB passes.
	if w := e.do(t, request("GET", "/vault/callback?"+long[:8<<10], "")); w.Code != http.StatusFound {
		t.Errorf("8 KiB query: %d", w.Code)
	}
	testkit.WantProblem(t, e.do(t, request("POST", "/vault/callback?state=s", "")).Result(), 405, codeMethodNotAllowed)
	e.logs.WantNoSecrets(t, strings.Repeat("c", 64))

	e = callbackEnv(t)
	e.deps.IPLimit = &fakeLimiter{allow: func(string) (state.Decision, error) { return state.Decision{}, nil }}
	testkit.WantProblem(t, e.do(t, request("GET", "/vault/callback?state=s", "")).Result(), 429, codeRateLimited)

	// Off unless configured.
	e = newEnv(t)
	testkit.WantProblem(t, e.do(t, request("GET", "/vault/callback?state=s", "")).Result(), 404, codeNotFound)
}
