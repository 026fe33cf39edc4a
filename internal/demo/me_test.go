package demo

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/google/go-cmp/cmp"
	"github.com/rs/zerolog"
)

// newTestSessionApp is the forward-mode demo app (opaque session cookie)
// mounted as the public router mounts it.
func newTestSessionApp(t *testing.T) *testApp {
	t.Helper()
	logs := &bytes.Buffer{}
	app := NewSessionApp("", zerolog.New(logs).Level(zerolog.DebugLevel))
	r := chi.NewRouter()
	app.Routes(r)
	return &testApp{app: app, h: r, logs: logs}
}

// cookieNamed returns the cookie name res sets, or nil.
func cookieNamed(res *http.Response, name string) *http.Cookie {
	for _, c := range res.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// signInValue signs user in on ta and returns the sign-in cookie's value.
func (ta *testApp) signInValue(t *testing.T, user string) string {
	t.Helper()
	c := cookieNamed(ta.do(t, signInRequest(user)), ta.app.cookieName)
	if c == nil || c.Value == "" {
		t.Fatalf("signing in as %s set no %s cookie", user, ta.app.cookieName)
	}
	return c.Value
}

// me asks the app's who-am-I endpoint with the sign-in cookie set to value.
func (ta *testApp) me(t *testing.T, method, value string) (*http.Response, string) {
	t.Helper()
	req := httptest.NewRequest(method, "http://127.0.0.1:4000/demo-app/api/me", nil)
	if value != "" {
		req.AddCookie(&http.Cookie{Name: ta.app.cookieName, Value: value})
	}
	rec := httptest.NewRecorder()
	ta.app.Me().ServeHTTP(rec, req)
	res := rec.Result()
	t.Cleanup(func() { res.Body.Close() })
	return res, body(t, res)
}

func TestMe(t *testing.T) {
	apps := map[string]func(*testing.T) *testApp{"jwt": newTestApp, "session": newTestSessionApp}
	for kind, newApp := range apps {
		t.Run(kind, func(t *testing.T) {
			ta := newApp(t)
			valid := ta.signInValue(t, "grace")
			tests := []struct {
				name, method, value string
				status              int
			}{
				{"signed in", http.MethodGet, valid, http.StatusOK},
				{"no cookie", http.MethodGet, "", http.StatusUnauthorized},
				{"unknown cookie", http.MethodGet, "not-a-credential", http.StatusUnauthorized},
				{"tampered cookie", http.MethodGet, valid + "x", http.StatusUnauthorized},
				{"wrong method", http.MethodPost, valid, http.StatusMethodNotAllowed},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					res, b := ta.me(t, tt.method, tt.value)
					if res.StatusCode != tt.status {
						t.Fatalf("status = %d, want %d (%s)", res.StatusCode, tt.status, b)
					}
					if tt.status == http.StatusMethodNotAllowed {
						return
					}
					if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
						t.Errorf("Cache-Control = %q, want no-store", cc)
					}
					if ct := res.Header.Get("Content-Type"); ct != "application/json" {
						t.Errorf("Content-Type = %q, want application/json", ct)
					}
					var got map[string]any
					if err := json.Unmarshal([]byte(b), &got); err != nil {
						t.Fatalf("body is not a JSON object: %q", b)
					}
					if tt.status != http.StatusOK {
						if _, ok := got["sub"]; ok {
							t.Errorf("a refusal carries claims: %s", b)
						}
						return
					}
					want := map[string]any{
						"sub": "grace", "name": "Grace Hopper", "email": "grace@acme.example",
						"org": map[string]any{"id": "org_acme", "name": "Acme Corp"}, "org_name": "Acme Corp",
					}
					if diff := cmp.Diff(want, got); diff != "" {
						t.Errorf("claims (-want +got):\n%s", diff)
					}
				})
			}
			if strings.Contains(ta.logs.String(), valid) {
				t.Error("a sign-in credential reached the log")
			}
		})
	}
}

func TestSessionAppSignIn(t *testing.T) {
	ta := newTestSessionApp(t)
	res := ta.do(t, signInRequest("ada"))
	c := cookieNamed(res, SessionCookieName)
	if c == nil {
		t.Fatalf("no %s cookie set", SessionCookieName)
	}
	if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.MaxAge != 3600 {
		t.Errorf("cookie HttpOnly=%v SameSite=%v Path=%q MaxAge=%d; want true, Lax, /, 3600",
			c.HttpOnly, c.SameSite, c.Path, c.MaxAge)
	}
	if strings.Contains(c.Value, ".") || strings.Contains(c.Value, "ada") || len(c.Value) < 20 {
		t.Errorf("cookie value %q is not an opaque random id", c.Value)
	}

	req := httptest.NewRequest(http.MethodGet, "http://localhost:8080/", nil)
	req.AddCookie(c)
	home := body(t, ta.do(t, req))
	for _, want := range []string{`id="whoami">Ada Lovelace<`, `id="consumer">org_acme<`, "AUTH_MODE=forward"} {
		if !strings.Contains(home, want) {
			t.Errorf("signed-in home lacks %q", want)
		}
	}

	// Signing in again replaces the session; signing out ends it. Either
	// way the old id stops resolving at once, which forward auth relies on.
	req = signInRequest("grace")
	req.AddCookie(c)
	second := cookieNamed(ta.do(t, req), SessionCookieName)
	if res, _ := ta.me(t, http.MethodGet, c.Value); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("replaced session: who-am-I = %d, want 401", res.StatusCode)
	}
	req = httptest.NewRequest(http.MethodPost, "http://localhost:8080/demo/signout", nil)
	req.AddCookie(second)
	out := cookieNamed(ta.do(t, req), SessionCookieName)
	if out == nil || out.MaxAge >= 0 {
		t.Errorf("sign-out did not clear the cookie: %+v", out)
	}
	if res, _ := ta.me(t, http.MethodGet, second.Value); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("signed-out session: who-am-I = %d, want 401", res.StatusCode)
	}
	if n := ta.app.creds.(*sessionStore).count(); n != 0 {
		t.Errorf("%d sessions left after sign-out", n)
	}
}

// A session id from an earlier run (the table is in memory) shows the form
// with the stale notice and clears the cookie.
func TestSessionAppStaleCookie(t *testing.T) {
	ta := newTestSessionApp(t)
	req := httptest.NewRequest(http.MethodGet, "http://localhost:8080/", nil)
	req.AddCookie(&http.Cookie{Name: SessionCookieName, Value: "from-an-earlier-run-0123456789"})
	res := ta.do(t, req)
	b := body(t, res)
	if !strings.Contains(b, `id="stale"`) || !strings.Contains(b, `id="signin"`) {
		t.Error("want the sign-in form with the stale notice")
	}
	if c := cookieNamed(res, SessionCookieName); c == nil || c.MaxAge >= 0 {
		t.Errorf("stale cookie not cleared: %+v", c)
	}
}
