package app

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vaultgate/vaultgate/internal/testkit"
)

func TestDemoConfig(t *testing.T) {
	t.Parallel()
	w := demoWiring{
		appURL: "http://localhost:18080", httpAddr: "127.0.0.1:18080", adminAddr: "127.0.0.1:19090",
		origin: "http://127.0.0.1:4000", apiKey: "demo_test_key",
	}
	type view struct {
		AuthMode, ForwardURL, JWKSURL, CookieName  string
		RedirectURI, LoginURL, HTTPAddr, AdminAddr string
		UnifiedAPIs                                []string
	}
	tests := []struct {
		name string
		mode string
		env  map[string]string
		want view
	}{
		{"jwt", "jwt", nil, view{
			AuthMode: "jwt", JWKSURL: "http://127.0.0.1:4000/demo-idp/jwks.json", CookieName: demoCookieName,
			RedirectURI: "http://localhost:18080/demo/connected", LoginURL: "http://localhost:18080/",
			HTTPAddr: "127.0.0.1:18080", AdminAddr: "127.0.0.1:19090",
			UnifiedAPIs: []string{"crm", "accounting", "hris", "file-storage", "ats"},
		}},
		{"forward", "forward", nil, view{
			AuthMode: "forward", ForwardURL: "http://127.0.0.1:4000/demo-app/api/me",
			RedirectURI: "http://localhost:18080/demo/connected", LoginURL: "http://localhost:18080/",
			HTTPAddr: "127.0.0.1:18080", AdminAddr: "127.0.0.1:19090",
			UnifiedAPIs: []string{"crm", "accounting", "hris", "file-storage", "ats"},
		}},
		{"environment overrides defaults but not the wiring", "jwt", map[string]string{
			"VAULT_UNIFIED_APIS": "crm", "AUTH_LOGIN_URL": "http://localhost:18080/login",
			"AUTH_MODE": "header", "AUTH_JWKS_URL": "https://evil.example/jwks", "HTTP_ADDR": ":1",
		}, view{
			AuthMode: "jwt", JWKSURL: "http://127.0.0.1:4000/demo-idp/jwks.json", CookieName: demoCookieName,
			RedirectURI: "http://localhost:18080/demo/connected", LoginURL: "http://localhost:18080/login",
			HTTPAddr: "127.0.0.1:18080", AdminAddr: "127.0.0.1:19090", UnifiedAPIs: []string{"crm"},
		}},
		{"forward ignores JWT variables", "forward", map[string]string{"AUTH_FORWARD_URL": "https://evil.example/me"}, view{
			AuthMode: "forward", ForwardURL: "http://127.0.0.1:4000/demo-app/api/me",
			RedirectURI: "http://localhost:18080/demo/connected", LoginURL: "http://localhost:18080/",
			HTTPAddr: "127.0.0.1:18080", AdminAddr: "127.0.0.1:19090",
			UnifiedAPIs: []string{"crm", "accounting", "hris", "file-storage", "ats"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{"DEMO_AUTH_MODE": tt.mode}
			for k, v := range tt.env {
				env[k] = v
			}
			cfg, err := demoConfig(testkit.Environ(env), w)
			if err != nil {
				t.Fatalf("demoConfig: %v", err)
			}
			got := view{
				AuthMode: cfg.AuthMode, ForwardURL: cfg.Forward.URL, JWKSURL: cfg.JWT.JWKSURL, CookieName: cfg.JWT.CookieName,
				RedirectURI: cfg.Connect.DefaultRedirectURI, LoginURL: cfg.Connect.LoginURL,
				HTTPAddr: cfg.HTTPAddr, AdminAddr: cfg.AdminAddr, UnifiedAPIs: cfg.Connect.UnifiedAPIs,
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("config (-want +got):\n%s", diff)
			}
			if cfg.Upstream.BaseURL != w.origin || cfg.APIKey.Reveal() != w.apiKey {
				t.Error("the upstream is not the demo's simulator")
			}
		})
	}
}

// -demo -check reports a bad DEMO_AUTH_MODE together with every other
// problem.
func TestCheckDemoReportsEveryProblem(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	err := Run(t.Context(), []string{"DEMO_AUTH_MODE=saml", "VAULT_UNIFIED_APIS=crm,telepathy"}, []string{"-demo", "-check"}, &out, io.Discard)
	if err == nil {
		t.Fatal("-demo -check accepted a bad configuration")
	}
	for _, want := range []string{"DEMO_AUTH_MODE", "VAULT_UNIFIED_APIS"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
	if err := Run(t.Context(), nil, []string{"-demo", "-check"}, &out, io.Discard); err != nil || !strings.Contains(out.String(), "demo configuration OK") {
		t.Errorf("-demo -check on defaults = %v, output %q", err, out.String())
	}
}

// The demo announces the URL of the port it really got, and both modes
// carry a sign-in to /connect: this runs without a browser, so it covers
// serveDemo where Chromium is missing.
func TestDemoOverHTTP(t *testing.T) {
	for _, mode := range []string{"jwt", "forward"} {
		t.Run(mode, func(t *testing.T) {
			d := startStack(t, map[string]string{"DEMO_AUTH_MODE": mode}, demoMode)
			u, err := url.Parse(d.public)
			if err != nil || u.Hostname() != "localhost" || u.Port() == "" || u.Port() == "0" || u.Port() == "8080" {
				t.Fatalf("app URL %q does not name the bound port", d.public)
			}
			if b := d.banner.String(); !strings.Contains(b, d.public+"/") || !strings.Contains(b, "DEMO_AUTH_MODE") {
				t.Errorf("banner lacks the app URL or DEMO_AUTH_MODE:\n%s", b)
			}
			jar, err := cookiejar.New(nil)
			if err != nil {
				t.Fatal(err)
			}
			client := &http.Client{Jar: jar, Timeout: 10 * time.Second}
			post := func(path string, form url.Values) {
				t.Helper()
				req, err := http.NewRequest(http.MethodPost, d.public+path, strings.NewReader(form.Encode()))
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				res, err := client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
			}
			connect := func() (int, string) {
				t.Helper()
				req, err := http.NewRequest(http.MethodPost, d.public+"/connect", nil)
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Accept", "application/json")
				res, err := client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer res.Body.Close()
				var body struct {
					ConsumerID string `json:"consumer_id"`
					Code       string `json:"code"`
				}
				_ = json.NewDecoder(io.LimitReader(res.Body, 1<<16)).Decode(&body)
				return res.StatusCode, body.ConsumerID + body.Code
			}

			post("/demo/signin", url.Values{"user": {"linus"}})
			status, got := connect()
			if status != http.StatusOK || got != "org_globex" {
				t.Errorf("signed in: /connect = %d %q, want 200 org_globex", status, got)
			}
			post("/demo/signout", nil)
			status, got = connect()
			if status != http.StatusUnauthorized || got != "unauthenticated" {
				t.Errorf("signed out: /connect = %d %q, want 401 unauthenticated", status, got)
			}
		})
	}
}

// The forward-mode "who am I" endpoint is reachable on the loopback server
// only, and answers 401 without a session.
func TestDemoWhoAmIEndpoint(t *testing.T) {
	d := startStack(t, map[string]string{"DEMO_AUTH_MODE": "forward"}, demoMode)
	res, err := http.Get(d.simURL + demoMePath)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized {
		t.Errorf("who-am-I without a cookie = %d, want 401", res.StatusCode)
	}
	if host, _, _ := net.SplitHostPort(strings.TrimPrefix(d.simURL, "http://")); host != "127.0.0.1" {
		t.Errorf("the demo's upstream listens on %q, want loopback only", host)
	}
	res, err = http.Get(d.public + demoMePath)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("who-am-I on the public listener = %d, want 404", res.StatusCode)
	}
}

// serveDemo frees its listeners when the configuration is refused.
func TestServeDemoRefusesBadConfig(t *testing.T) {
	public, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	vars := demoTestVars()
	vars["DEMO_AUTH_MODE"] = "saml"
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = serveDemo(ctx, demoRun{environ: testkit.Environ(vars), public: public, stdout: io.Discard, stderr: io.Discard})
	if err == nil || !strings.Contains(err.Error(), "DEMO_AUTH_MODE") {
		t.Fatalf("serveDemo = %v, want a DEMO_AUTH_MODE error", err)
	}
	// The port is free again.
	l, err := net.Listen("tcp", public.Addr().String())
	if err != nil {
		t.Fatalf("listener not released: %v", err)
	}
	l.Close()
}

// The demo is one listener whose redirects keep the name the browser used:
// opened at 127.0.0.1 while configured for localhost, the login redirect,
// /connect's redirect to Vault and Vault's link back all stay on 127.0.0.1.
// This runs without a browser; the Chromium tests walk the same way.
func TestDemoOneListener(t *testing.T) {
	d := startStack(t, nil, demoMode)
	base := strings.Replace(d.public, "localhost", "127.0.0.1", 1)
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path string) (*http.Response, string) {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, base+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Accept", "text/html")
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
		return res, string(b)
	}

	if res, _ := get("/connect"); res.StatusCode != http.StatusFound || res.Header.Get("Location") != "/?return_to=%2Fconnect" {
		t.Errorf("signed-out /connect = %d to %q, want 302 to /?return_to=%%2Fconnect", res.StatusCode, res.Header.Get("Location"))
	}
	res, err := client.PostForm(base+"/demo/signin", url.Values{"user": {"ada"}, "return_to": {"/connect"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/connect" {
		t.Fatalf("sign-in = %d to %q, want 303 to /connect", res.StatusCode, res.Header.Get("Location"))
	}
	res, _ = get("/connect")
	loc := res.Header.Get("Location")
	if res.StatusCode != http.StatusFound || !strings.HasPrefix(loc, "/session/") {
		t.Fatalf("/connect = %d to %q, want 302 to /session/… on the same listener", res.StatusCode, loc)
	}
	res, page := get(loc)
	if res.StatusCode != http.StatusOK || !strings.Contains(page, `<a id="back-to-app" href="/demo/connected"`) {
		t.Errorf("Vault page = %d; want 200 with a relative link back to /demo/connected", res.StatusCode)
	}

	// Connecting on the Vault page reaches the open event stream: the
	// simulator's webhook went to vaultgate on the same listener.
	stream, err := client.Get(base + "/connections/events")
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Body.Close()
	lines := bufio.NewScanner(stream.Body)
	waitFor := func(want string) {
		t.Helper()
		for lines.Scan() {
			if strings.Contains(lines.Text(), want) {
				return
			}
		}
		t.Fatalf("the event stream ended before %q: %v", want, lines.Err())
	}
	waitFor("event: ready")
	res, err = client.PostForm(base+loc, url.Values{"unified_api": {"crm"}, "service_id": {"salesforce"}, "action": {"connect"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("connecting on the Vault page = %d, want 303", res.StatusCode)
	}
	waitFor(`"service_id":"salesforce","state":"callable"`)
	d.logs.WantNoSecrets(t, strings.TrimPrefix(loc, "/session/"))
}
