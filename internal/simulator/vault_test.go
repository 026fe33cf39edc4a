package simulator

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// assertPageHeaders checks what every Vault page sends, valid or not.
func assertPageHeaders(t *testing.T, r reply) {
	t.Helper()
	want := map[string]string{
		"Cache-Control":   "no-store",
		"Referrer-Policy": "no-referrer",
		"Content-Type":    "text/html; charset=utf-8",
	}
	for k, v := range want {
		if got := r.header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("Content-Security-Policy = %q", csp)
	}
}

func assertContains(t *testing.T, page string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(page, w) {
			t.Errorf("page lacks %q", w)
		}
	}
}

func assertLacks(t *testing.T, page string, bad ...string) {
	t.Helper()
	for _, b := range bad {
		if strings.Contains(page, b) {
			t.Errorf("page contains %q", b)
		}
	}
}

func TestVaultPageShowsSession(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sim := newSim(t) // a bubble's clock starts at midnight UTC 2000-01-01
		_, uri := newSession(t, sim, `{
		"consumer_metadata":{"account_name":"Acme Inc","user_name":"Ann","email":"ann@acme.test"},
		"redirect_uri":"https://app.acme.test/integrations?tab=vault",
		"settings":{"unified_apis":["crm","hris"],"sandbox_mode":true,"allow_actions":[]},
		"theme":{"vault_name":"Acme Connect","primary_color":"#123abc","sidepanel_background_color":"navy",
			"sidepanel_text_color":"#fff","privacy_url":"https://acme.test/privacy"},
		"custom_consumer_settings":{"tier":"gold"}}`)
		if !strings.HasPrefix(uri, "http://example.com/session/") {
			t.Fatalf("session_uri %q is not on the simulator", uri)
		}
		r := serve(sim, http.MethodGet, uri, nil, "")
		if r.status != http.StatusOK {
			t.Fatalf("status = %d; body %s", r.status, r.body)
		}
		assertPageHeaders(t, r)
		page := string(r.body)
		assertContains(t, page,
			"<title>Acme Connect</title>",
			`<h1 id="vault-name">Acme Connect</h1>`,
			`<dd id="consumer-id">org_42</dd>`,
			`<dd id="account-name">Acme Inc</dd>`,
			`<dd id="user-name">Ann</dd>`,
			`<dd id="consumer-email">ann@acme.test</dd>`,
			"<li>crm</li>", "<li>hris</li>",
			`<time id="expires-at" datetime="2000-01-01T01:00:00Z">2000-01-01T01:00:00Z</time>`,
			`<a id="back-to-app" href="https://app.acme.test/integrations?tab=vault"`,
			`<a id="privacy-url" href="https://acme.test/privacy"`,
			"--primary: #123abc;", "--sidepanel-bg: navy;", "--sidepanel-text: #fff;",
			`<dd id="setting-sandbox-mode">true</dd>`,
			`<dd id="setting-allow-actions">none</dd>`,
			`&#34;tier&#34;: &#34;gold&#34;`,
		)
		assertLacks(t, page, "<li>ats</li>", `id="terms-url"`, `id="connector"`, "<script")
		if n := strings.Count(page[strings.Index(page, `id="unified-apis"`):], "<li>"); n != 2 {
			t.Errorf("unified-apis has %d items, want 2", n)
		}
	})
}

func TestVaultPageDefaults(t *testing.T) {
	_, srv := startSim(t)
	_, uri := createSession(t, srv.URL, "")
	page := string(get(t, uri).body)
	assertContains(t, page,
		"<title>Apideck Vault</title>",
		`<h1 id="vault-name">Apideck Vault</h1>`,
		"--primary: "+defaultPrimary+";",
		"<li>accounting</li>", "<li>data-warehouse</li>",
	)
	assertLacks(t, page, `id="back-to-app"`, `id="account-name"`, `id="session-settings"`)
}

func TestVaultPageEscapesHostileValues(t *testing.T) {
	_, srv := startSim(t)
	_, uri := createSession(t, srv.URL, `{
		"consumer_metadata":{"account_name":"<script>alert(1)</script>","user_name":"\"><img src=x onerror=alert(2)>"},
		"theme":{"vault_name":"</title><script>alert(3)</script>",
			"primary_color":"red;}</style><script>alert(4)</script>",
			"sidepanel_background_color":"url(javascript:alert(5))",
			"sidepanel_text_color":"expression(alert(6))",
			"terms_url":"javascript:alert(7)"},
		"redirect_uri":"javascript:alert(8)"}`)
	r := get(t, uri)
	if r.status != http.StatusOK {
		t.Fatalf("status = %d", r.status)
	}
	page := string(r.body)
	// Hostile values appear as escaped text only (the theme section lists
	// them), never as markup, a link or a style.
	assertLacks(t, page, "<script", "<img src=x", `href="javascript:`, ": expression(", ": url(",
		`id="back-to-app"`, `id="terms-url"`)
	assertContains(t, page,
		`<dd id="account-name">&lt;script&gt;alert(1)&lt;/script&gt;</dd>`,
		"&lt;/title&gt;&lt;script&gt;alert(3)&lt;/script&gt;",
		// Colours that are not colours fall back to the defaults.
		"--primary: "+defaultPrimary+";",
		"--sidepanel-bg: "+defaultSidepanelBg+";",
		"--sidepanel-text: "+defaultSidepanelText+";",
	)
}

func TestVaultPageBackLink(t *testing.T) {
	tests := []struct {
		redirect string
		wantLink bool
	}{
		{"https://app.test/done", true},
		{"http://localhost:3000/done", true},
		{"HTTPS://app.test/done", true},
		{"javascript:alert(1)", false},
		{"data:text/html,hi", false},
		{"//evil.test/x", false},
		{"/relative", false},
		{"https:///nohost", false},
		{"ftp://app.test/x", false},
		{"", false},
	}
	_, srv := startSim(t)
	for _, tt := range tests {
		t.Run(tt.redirect, func(t *testing.T) {
			_, uri := createSession(t, srv.URL, `{"redirect_uri":`+jsonString(tt.redirect)+`}`)
			page := string(get(t, uri).body)
			if got := strings.Contains(page, `id="back-to-app"`); got != tt.wantLink {
				t.Errorf("back link shown = %v, want %v", got, tt.wantLink)
			}
		})
	}
}

func TestVaultPageRefusesBadTokens(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sim := newSim(t)
		token, _ := newSession(t, sim, `{"settings":{"session_length":"30m"}}`)
		_, short := newSession(t, sim, `{"settings":{"session_length":"1m"}}`)
		parts := strings.Split(token, ".")
		// Swap the payload for another valid one: the signature no longer matches.
		otherToken, _ := newSession(t, sim, `{"redirect_uri":"https://x.test"}`)
		tampered := parts[0] + "." + strings.Split(otherToken, ".")[1] + "." + parts[2]

		time.Sleep(2 * time.Minute) // short has expired, token has not
		tests := []struct {
			name, target string
			want         int
		}{
			{"valid", "/session/" + token, http.StatusOK},
			{"expired", short, http.StatusUnauthorized},
			{"tampered", "/session/" + tampered, http.StatusUnauthorized},
			{"garbage", "/session/not-a-token", http.StatusUnauthorized},
			{"alg none", "/session/eyJhbGciOiJub25lIn0." + parts[1] + ".", http.StatusUnauthorized},
		}
		// One bubble for every case (a bubble cannot hold subtests), so
		// each message names its case.
		for _, tt := range tests {
			r := serve(sim, http.MethodGet, tt.target, nil, "")
			if r.status != tt.want {
				t.Errorf("%s: status = %d, want %d", tt.name, r.status, tt.want)
				continue
			}
			assertPageHeaders(t, r)
			invalid := strings.Contains(string(r.body), `id="session-invalid"`)
			if invalid != (tt.want == http.StatusUnauthorized) {
				t.Errorf("%s: #session-invalid shown = %v", tt.name, invalid)
			}
			if invalid {
				assertContains(t, string(r.body), invalidSessionText)
			}
		}

		time.Sleep(time.Hour)
		if r := serve(sim, http.MethodGet, "/session/"+token, nil, ""); r.status != http.StatusUnauthorized {
			t.Errorf("after expiry: status = %d, want 401", r.status)
		}
	})
}

func TestIntegrationDeepLink(t *testing.T) {
	_, srv := startSim(t)
	token, _ := createSession(t, srv.URL, `{"settings":{"unified_apis":["crm"]}}`)
	tests := []struct {
		name, path string
		want       int
		wantID     string
	}{
		{"offered", "/integrations/crm/hubspot?jwt=" + token, http.StatusOK, `id="connector"`},
		{"not offered", "/integrations/hris/bamboohr?jwt=" + token, http.StatusNotFound, `id="integration-unavailable"`},
		{"bad service id", "/integrations/crm/Hub_Spot?jwt=" + token, http.StatusNotFound, `id="integration-unavailable"`},
		{"no token", "/integrations/crm/hubspot", http.StatusUnauthorized, `id="session-invalid"`},
		{"bad token", "/integrations/crm/hubspot?jwt=" + url.QueryEscape(token+"x"), http.StatusUnauthorized, `id="session-invalid"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := get(t, srv.URL+tt.path)
			if r.status != tt.want {
				t.Fatalf("status = %d, want %d", r.status, tt.want)
			}
			assertPageHeaders(t, r)
			assertContains(t, string(r.body), tt.wantID)
		})
	}
	page := string(get(t, srv.URL+"/integrations/crm/hubspot?jwt="+token).body)
	assertContains(t, page,
		`<strong id="connector-service-id">hubspot</strong>`,
		`<strong id="connector-unified-api">crm</strong>`,
		`<dd id="consumer-id">org_42</dd>`)
}

func TestColorOr(t *testing.T) {
	tests := []struct{ in, want string }{
		{"#fff", "#fff"}, {"#FFFA", "#FFFA"}, {"#286efa", "#286efa"}, {"#286efa80", "#286efa80"},
		{"rebeccapurple", "rebeccapurple"},
		{"", "def"}, {"#ff", "def"}, {"#12345", "def"}, {"#ggg", "def"}, {"fff", "fff"},
		{"rgb(0,0,0)", "def"}, {"red;", "def"}, {"red blue", "def"}, {"#fff;x", "def"},
		{strings.Repeat("a", 33), "def"},
	}
	for _, tt := range tests {
		if got := colorOr(tt.in, "def"); got != tt.want {
			t.Errorf("colorOr(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func jsonString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// A redirect_uri on the Vault's own origin (the app and Vault on one
// listener) becomes a relative link, so the browser keeps the host name it
// used; anything else stays as sent.
func TestVaultPageBackLinkOnOwnOrigin(t *testing.T) {
	_, srv := startSim(t)
	tests := []struct{ redirect, want string }{
		{srv.URL + "/demo/connected?x=1", `href="/demo/connected?x=1"`},
		{"https://app.acme.test/back", `href="https://app.acme.test/back"`},
		{srv.URL + "//evil.example/", `href="` + srv.URL + `//evil.example/"`},
	}
	for _, tt := range tests {
		t.Run(tt.redirect, func(t *testing.T) {
			_, uri := createSession(t, srv.URL, `{"redirect_uri":"`+tt.redirect+`"}`)
			assertContains(t, string(get(t, uri).body), `<a id="back-to-app" `+tt.want)
		})
	}
}
