package demo

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestHomeSignedOut(t *testing.T) {
	ta := newTestApp(t)
	res, b := ta.homeWithToken(t, "")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status = %d, want 200", res.StatusCode)
	}
	want := []string{
		"vaultgate demo", "simulated",
		`<form id="signin" method="post" action="/demo/signin">`,
		`name="user" value="ada" id="signin-ada"`,
		`name="user" value="grace" id="signin-grace"`,
		`name="user" value="linus" id="signin-linus"`,
		"<legend>Acme Corp", "<legend>Globex Inc",
	}
	for _, s := range want {
		if !strings.Contains(b, s) {
			t.Errorf("signed-out home lacks %q", s)
		}
	}
	for _, s := range []string{`id="whoami"`, `id="consumer"`, `id="connect"`, `id="stale"`} {
		if strings.Contains(b, s) {
			t.Errorf("signed-out home has %q", s)
		}
	}
}

func TestHomeSignedIn(t *testing.T) {
	tests := []struct {
		user string
		want []string
	}{
		{"grace", []string{
			`id="whoami">Grace Hopper<`, `id="consumer">org_acme<`, `id="org">Acme Corp<`,
			"(Ada Lovelace, Grace Hopper)",
		}},
		{"linus", []string{
			`id="whoami">Linus Torvalds<`, `id="consumer">org_globex<`, `id="org">Globex Inc<`,
			"(Linus Torvalds)",
		}},
	}
	common := []string{
		`<a id="connect" class="button" href="/connect">`,
		`<button id="connect-json" type="button">`,
		`<div id="json-result" aria-live="polite"></div>`,
		`<button id="signout" type="submit"`, `action="/demo/signout"`,
		`<script src="/demo/static/app.js"></script>`,
		`id="shared-note"`,
	}
	ta := newTestApp(t)
	for _, tt := range tests {
		t.Run(tt.user, func(t *testing.T) {
			res := ta.do(t, signInRequest(tt.user))
			c := demoCookie(res)
			if c == nil {
				t.Fatal("sign-in set no cookie")
			}
			res, b := ta.homeWithToken(t, c.Value)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("status = %d, want 200", res.StatusCode)
			}
			for _, s := range append(tt.want, common...) {
				if !strings.Contains(b, s) {
					t.Errorf("signed-in home lacks %q", s)
				}
			}
			if strings.Contains(b, `id="signin"`) {
				t.Error("signed-in home shows the sign-in form")
			}
			if demoCookie(res) != nil {
				t.Error("a valid cookie was replaced")
			}
		})
	}
}

// A cookie that no longer verifies (expired, or from an earlier run's key)
// shows the form again and is cleared, and is never logged.
func TestHomeStaleCookie(t *testing.T) {
	ta := newTestApp(t)
	past := *ta.iss
	past.now = func() time.Time { return time.Now().Add(-2 * time.Hour) }
	expired, err := past.Mint(Users()[0], time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := newTestIssuer(t, time.Now()).Mint(Users()[0], time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]string{"expired": expired, "other key": foreign, "garbage": "garbage.token.value"}
	for name, tok := range tests {
		t.Run(name, func(t *testing.T) {
			ta.logs.Reset()
			res, b := ta.homeWithToken(t, tok)
			if !strings.Contains(b, `id="signin"`) || !strings.Contains(b, `id="stale"`) || strings.Contains(b, `id="whoami"`) {
				t.Errorf("want the sign-in form with the stale notice, got %q", b)
			}
			if c := demoCookie(res); c == nil || c.MaxAge >= 0 {
				t.Errorf("stale cookie not cleared: %+v", c)
			}
			if strings.Contains(ta.logs.String(), tok) {
				t.Error("the token reached the log")
			}
		})
	}
}

// The landing page never claims a connection by itself: coming back from
// Vault says nothing about what happened there.
func TestConnectedPage(t *testing.T) {
	ta := newTestApp(t)
	tok, err := ta.iss.Mint(Users()[0], time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		cookie    string
		want, not []string
	}{
		{"signed in", tok,
			[]string{"You are back from Vault", `id="back-summary"`, `id="connections"`, `src="/demo/static/integrations.js"`},
			[]string{"Integrations connected", "Sign in to see"}},
		{"signed out", "",
			[]string{"You are back from Vault", "Sign in to see your integrations", `<a id="home" href="/">`},
			[]string{"Integrations connected", `id="connections"`, "integrations.js"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/demo/connected?code=x", nil)
			if tt.cookie != "" {
				req.AddCookie(&http.Cookie{Name: "vaultgate_demo", Value: tt.cookie})
			}
			res := ta.do(t, req)
			b := body(t, res)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("status = %d, want 200", res.StatusCode)
			}
			for _, s := range tt.want {
				if !strings.Contains(b, s) {
					t.Errorf("connected page lacks %q", s)
				}
			}
			for _, s := range tt.not {
				if strings.Contains(b, s) {
					t.Errorf("connected page has %q", s)
				}
			}
		})
	}
}

// The sign-in form carries a safe return_to on, and only a safe one.
func TestHomeKeepsReturnTo(t *testing.T) {
	ta := newTestApp(t)
	tests := []struct{ query, want string }{
		{"/connect", `name="return_to" value="/connect"`},
		{"/connect?unified_apis=crm&service_id=salesforce", `value="/connect?unified_apis=crm&amp;service_id=salesforce"`},
		{"https://evil.example/", ""},
		{"//evil.example/", ""},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			res := ta.do(t, httptest.NewRequest(http.MethodGet, "/?return_to="+url.QueryEscape(tt.query), nil))
			b := body(t, res)
			if tt.want == "" {
				if strings.Contains(b, "return_to") {
					t.Errorf("unsafe return_to %q reached the form", tt.query)
				}
				return
			}
			if !strings.Contains(b, tt.want) {
				t.Errorf("form lacks %s", tt.want)
			}
		})
	}
}

func TestTemplatesEscapeHostileValues(t *testing.T) {
	const script = `<script>alert(1)</script>`
	const attr = `x" onmouseover="alert(1)`
	hostile := User{
		ID:      attr,
		Name:    script,
		Email:   "a@b.example" + script,
		OrgID:   `org"><img src=x onerror=alert(1)>`,
		OrgName: script,
	}
	ta := newTestApp(t)
	ta.app.users = append(Users(), hostile)

	tok, err := ta.iss.Mint(hostile, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	pages := map[string]string{}
	_, pages["signed out"] = ta.homeWithToken(t, "")
	_, pages["signed in"] = ta.homeWithToken(t, tok)

	for name, b := range pages {
		t.Run(name, func(t *testing.T) {
			for _, raw := range []string{script, `<img src=x`, `" onmouseover="`} {
				if strings.Contains(b, raw) {
					t.Errorf("page contains unescaped %q", raw)
				}
			}
			if !strings.Contains(b, "&lt;script&gt;alert(1)&lt;/script&gt;") {
				t.Error("page lacks the escaped value; the test is not exercising the template")
			}
		})
	}
}
