package app

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vaultgate/vaultgate/internal/simulator"
	"github.com/vaultgate/vaultgate/internal/testkit"
)

// The OAuth callback on the app's domain and the error pages a person
// sees, end to end against the simulated Apideck.

func TestCallbackEndToEnd(t *testing.T) {
	s := startStack(t, map[string]string{"VAULT_CALLBACK_PATH": "/vault/callback", "LOG_LEVEL": "debug"})
	const code, state = "4/0AVG7fiQ-e2e-secret-code", "e2e-secret-state-9f8e"
	nav := http.Header{"Accept": {exampleNavAccept}}
	queries := []string{
		"state=" + state + "&code=" + code + "&scope=email%20profile&authuser=0",
		"error=access_denied&error_description=User%20said+no%21&state=" + state,
		"state=" + state + "&code=" + code + "&x=1&x=2&y=%2F%3f%26%3D&%E2%9C%93=%e2%9c%93",
		"",
		// The largest query passed on: 8 KiB.
		"state=" + state + "&code=" + code + "&pad=" + strings.Repeat("p", 8<<10-len("state="+state+"&code="+code+"&pad=")),
	}
	for _, query := range queries {
		target := "/vault/callback"
		if query != "" {
			target += "?" + query
		}
		res, _ := do(t, "GET", s.public+target, nav, "")
		if want := s.simURL + target; res.StatusCode != http.StatusFound || res.Header.Get("Location") != want {
			t.Fatalf("answer %d Location %.200q, want 302 %.200q", res.StatusCode, res.Header.Get("Location"), want)
		}
		if res.Header.Get("Cache-Control") != "no-store" || res.Header.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("headers %v", res.Header)
		}
		// The browser follows the redirect to Apideck's callback.
		if res, body := do(t, "GET", res.Header.Get("Location"), nav, ""); res.StatusCode >= 500 {
			t.Errorf("the simulator's callback: %d %s", res.StatusCode, body)
		}
	}
	if diff := cmp.Diff(queries, s.sim.Callbacks()); diff != "" {
		t.Errorf("queries Apideck received (-sent +received):\n%s", diff)
	}

	oversized := "state=" + state + "&code=" + strings.Repeat("c", 8<<10)
	res, body := do(t, "GET", s.public+"/vault/callback?"+oversized, nav, "")
	if res.StatusCode != http.StatusBadRequest || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") ||
		!strings.Contains(string(body), res.Header.Get("X-Request-Id")) || strings.Contains(string(body), state) {
		t.Errorf("oversized query from a browser: %d %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	res, _ = do(t, "GET", s.public+"/vault/callback?"+oversized, nil, "")
	testkit.WantProblem(t, res, 400, "invalid_request")
	if n := len(s.sim.Callbacks()); n != len(queries) {
		t.Errorf("Apideck received %d callbacks, want %d: an oversized query went on", n, len(queries))
	}
	s.logs.WantNoSecrets(t, testAPIKey, code, state)

	// No authentication, but the per-IP limit.
	s = startStack(t, map[string]string{"VAULT_CALLBACK_PATH": "/vault/callback", "RATE_LIMIT_PER_IP_PER_MINUTE": "2"})
	for i, want := range []int{302, 302, 429} {
		res, _ := do(t, "GET", s.public+"/vault/callback?"+queries[0], nil, "")
		if res.StatusCode != want {
			t.Errorf("callback %d: %d, want %d", i+1, res.StatusCode, want)
		}
	}
	res, _ = do(t, "GET", s.public+"/vault/callback?"+queries[0], nil, "")
	testkit.WantProblem(t, res, 429, "rate_limited")
	s.logs.WantNoSecrets(t, code, state)
}

func TestErrorPagesEndToEnd(t *testing.T) {
	s := startStack(t, map[string]string{"APP_URL": "https://app.example.com/settings"})
	nav := http.Header{"Accept": {exampleNavAccept}}
	res, body := do(t, "GET", s.public+"/connect?unified_apis=crm", nav, "")
	if res.StatusCode != http.StatusUnauthorized || res.Header.Get("Content-Type") != "text/html; charset=utf-8" ||
		res.Header.Get("Content-Security-Policy") != "default-src 'none'; style-src 'unsafe-inline'" ||
		!strings.Contains(string(body), `href="https://app.example.com/settings"`) {
		t.Errorf("navigation without credentials: %d %v\n%s", res.StatusCode, res.Header, body)
	}
	res, _ = do(t, "GET", s.public+"/connect?unified_apis=crm", http.Header{"Accept": {"application/json"}}, "")
	testkit.WantProblem(t, res, 401, "unauthenticated")

	s = startStack(t, map[string]string{"ERROR_REDIRECT_URL": "https://app.example.com/oops?from=vaultgate"})
	res, _ = do(t, "GET", s.public+"/connect?unified_apis=ats", http.Header{"Accept": {exampleNavAccept}, "Authorization": {"Bearer " + s.token(t)}}, "")
	want := "https://app.example.com/oops?error=invalid_unified_apis&from=vaultgate&request_id=" + res.Header.Get("X-Request-Id")
	if res.StatusCode != http.StatusFound || res.Header.Get("Location") != want {
		t.Errorf("navigation error: %d Location %q, want %q", res.StatusCode, res.Header.Get("Location"), want)
	}
}

// TestErrorPagesForConnect: a person clicking Connect who meets a rate
// limit, a busy or a failing Apideck reads a page (or lands on the app's
// own); the page's fetch() keeps problem JSON.
func TestErrorPagesForConnect(t *testing.T) {
	tests := []struct {
		name   string
		env    map[string]string
		inject int // status Apideck answers; 0: none, the second Connect is rate limited
		status int
		code   string
		retry  bool
	}{
		{"rate limited", map[string]string{"RATE_LIMIT_PER_MINUTE": "1"}, 0, 429, "rate_limited", true},
		{"Apideck busy", nil, 429, 503, "upstream_busy", true},
		{"Apideck failing", map[string]string{"APIDECK_MAX_RETRIES": "0"}, 502, 502, "upstream_unavailable", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, redirect := range []bool{false, true} {
				env := map[string]string{"APP_URL": "https://app.example.com/settings", "LOG_LEVEL": "debug"}
				if redirect {
					env["ERROR_REDIRECT_URL"] = "https://app.example.com/oops"
				}
				for k, v := range tt.env {
					env[k] = v
				}
				s := startStack(t, env)
				tok := s.token(t)
				nav := http.Header{"Accept": {exampleNavAccept}, "Cookie": {"app_session=" + tok}, "Sec-Fetch-Site": {"same-origin"}}
				fetch := http.Header{"Accept": {"*/*"}, "Cookie": {"app_session=" + tok}, "Sec-Fetch-Site": {"same-origin"}}
				if tt.inject != 0 {
					if err := s.sim.Inject(simulator.Injection{Route: simulator.RouteCreateSession, Status: tt.inject}); err != nil {
						t.Fatal(err)
					}
				} else if res, _ := do(t, "GET", s.public+"/connect", nav, ""); res.StatusCode != http.StatusFound ||
					!strings.HasPrefix(res.Header.Get("Location"), s.simURL+"/session/") {
					t.Fatalf("first Connect: %d %q", res.StatusCode, res.Header.Get("Location"))
				}

				res, body := do(t, "GET", s.public+"/connect", nav, "")
				id := res.Header.Get("X-Request-Id")
				if redirect {
					want := "https://app.example.com/oops?error=" + tt.code + "&request_id=" + id
					if res.StatusCode != http.StatusFound || res.Header.Get("Location") != want {
						t.Errorf("with ERROR_REDIRECT_URL: %d Location %q, want %q", res.StatusCode, res.Header.Get("Location"), want)
					}
				} else {
					page := string(body)
					if res.StatusCode != tt.status || res.Header.Get("Content-Type") != "text/html; charset=utf-8" ||
						id == "" || !strings.Contains(page, id) || !strings.Contains(page, tt.code) ||
						!strings.Contains(page, `href="https://app.example.com/settings"`) {
						t.Errorf("page: %d %v\n%s", res.StatusCode, res.Header, page)
					}
					if ra := res.Header.Get("Retry-After"); (ra != "") != tt.retry || (tt.retry && !strings.Contains(page, "try again in "+ra+" second")) {
						t.Errorf("Retry-After %q (want one: %v), page:\n%s", ra, tt.retry, page)
					}
				}
				res, _ = do(t, "GET", s.public+"/connect", fetch, "")
				testkit.WantProblem(t, res, tt.status, tt.code)
				if tt.retry && res.Header.Get("Retry-After") == "" {
					t.Error("fetch: no Retry-After")
				}
				s.logs.WantNoSecrets(t, testAPIKey, tok)
			}
		})
	}
}
