package demo

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/rs/zerolog"
)

// testApp is the demo mounted on a chi router, as the public router mounts it.
type testApp struct {
	app  *App
	iss  *Issuer
	h    http.Handler
	logs *bytes.Buffer
}

func newTestApp(t *testing.T) *testApp {
	t.Helper()
	iss := newTestIssuer(t, time.Now())
	logs := &bytes.Buffer{}
	app := NewApp(iss, "vaultgate_demo", zerolog.New(logs).Level(zerolog.DebugLevel))
	r := chi.NewRouter()
	app.Routes(r)
	return &testApp{app: app, iss: iss, h: r, logs: logs}
}

// do serves req and returns the recorded response.
func (ta *testApp) do(t *testing.T, req *http.Request) *http.Response {
	t.Helper()
	rec := httptest.NewRecorder()
	ta.h.ServeHTTP(rec, req)
	res := rec.Result()
	t.Cleanup(func() { res.Body.Close() })
	return res
}

// signInRequest is a same-origin form post choosing user.
func signInRequest(user string) *http.Request {
	req := httptest.NewRequest(http.MethodPost, "http://localhost:8080/demo/signin",
		strings.NewReader(url.Values{"user": {user}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("Origin", "http://localhost:8080")
	return req
}

// demoCookie returns the demo cookie res sets, or nil.
func demoCookie(res *http.Response) *http.Cookie {
	for _, c := range res.Cookies() {
		if c.Name == "vaultgate_demo" {
			return c
		}
	}
	return nil
}

// body reads res's body as a string.
func body(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return string(b)
}

// homeWithToken renders GET / with the demo cookie set to token.
func (ta *testApp) homeWithToken(t *testing.T, token string) (*http.Response, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "http://localhost:8080/", nil)
	if token != "" {
		req.AddCookie(&http.Cookie{Name: "vaultgate_demo", Value: token})
	}
	res := ta.do(t, req)
	return res, body(t, res)
}

func TestSecurityHeaders(t *testing.T) {
	ta := newTestApp(t)
	reqs := map[string]*http.Request{
		"home":         httptest.NewRequest(http.MethodGet, "/", nil),
		"connected":    httptest.NewRequest(http.MethodGet, "/demo/connected", nil),
		"app.js":       httptest.NewRequest(http.MethodGet, "/demo/static/app.js", nil),
		"list script":  httptest.NewRequest(http.MethodGet, "/demo/static/integrations.js", nil),
		"style.css":    httptest.NewRequest(http.MethodGet, "/demo/static/style.css", nil),
		"signin":       signInRequest("ada"),
		"unknown user": signInRequest("mallory"),
	}
	for name, req := range reqs {
		t.Run(name, func(t *testing.T) {
			res := ta.do(t, req)
			csp := res.Header.Get("Content-Security-Policy")
			for _, d := range []string{"default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'"} {
				if !strings.Contains(csp, d) {
					t.Errorf("Content-Security-Policy %q lacks %q", csp, d)
				}
			}
			if strings.Contains(csp, "unsafe-inline") {
				t.Errorf("Content-Security-Policy %q allows inline code", csp)
			}
			for h, want := range map[string]string{
				"X-Content-Type-Options": "nosniff",
				"X-Frame-Options":        "DENY",
			} {
				if got := res.Header.Get(h); got != want {
					t.Errorf("%s = %q, want %q", h, got, want)
				}
			}
		})
	}
}

func TestStaticFiles(t *testing.T) {
	ta := newTestApp(t)
	tests := []struct {
		path     string
		status   int
		ctype    string
		contains []string
	}{
		{"/demo/static/app.js", http.StatusOK, "text/javascript; charset=utf-8", []string{
			"fetch('/connect'", "method: 'POST'", "'Accept': 'application/json'", "credentials: 'same-origin'",
			"connect-json", "json-result", "slice(0, 12)",
		}},
		{"/demo/static/integrations.js", http.StatusOK, "text/javascript; charset=utf-8", []string{
			"getJSON('/connections')", "credentials: 'same-origin'", "new EventSource('/connections/events')",
			"addEventListener('ready'", "addEventListener('connection'", "'DELETE'", "textContent",
		}},
		{"/demo/static/style.css", http.StatusOK, "text/css; charset=utf-8", []string{".banner", ".badge"}},
		{"/demo/static/", http.StatusNotFound, "", nil},
		{"/demo/static/missing.js", http.StatusNotFound, "", nil},
		{"/demo/static/../issuer.go", http.StatusNotFound, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			res := ta.do(t, httptest.NewRequest(http.MethodGet, tt.path, nil))
			b := body(t, res)
			if res.StatusCode != tt.status {
				t.Fatalf("status = %d, want %d", res.StatusCode, tt.status)
			}
			if tt.ctype != "" && res.Header.Get("Content-Type") != tt.ctype {
				t.Errorf("Content-Type = %q, want %q", res.Header.Get("Content-Type"), tt.ctype)
			}
			for _, s := range tt.contains {
				if !strings.Contains(b, s) {
					t.Errorf("body lacks %q", s)
				}
			}
		})
	}
}

// The scripts show server answers; they must never turn them into markup.
func TestScriptAvoidsInnerHTML(t *testing.T) {
	for _, name := range []string{"app.js", "integrations.js"} {
		b, err := staticFS.ReadFile("static/" + name)
		if err != nil {
			t.Fatal(err)
		}
		for _, bad := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("} {
			if bytes.Contains(b, []byte(bad)) {
				t.Errorf("%s uses %s", name, bad)
			}
		}
	}
}

func TestNewAppDefaultCookieName(t *testing.T) {
	app := NewApp(newTestIssuer(t, time.Now()), "", zerolog.Nop())
	if app.cookieName != CookieName {
		t.Errorf("cookie name = %q, want %q", app.cookieName, CookieName)
	}
}
