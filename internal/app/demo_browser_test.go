package app

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/google/go-cmp/cmp"

	"github.com/vaultgate/vaultgate/internal/config"
)

// TestDemoInBrowser walks the demo the way a visitor does, in real headless
// Chromium: sign in, connect through the redirect flow to the simulated
// Vault and back, connect through the JSON flow, sign out and see /connect
// refuse, then sign in as a colleague and land on the same consumer. It runs
// once per DEMO_AUTH_MODE, since each mode carries the sign-in to /connect
// in its own way (a JWT vaultgate verifies, or an opaque session vaultgate
// asks the app about).
//
// Screenshots of every step go to $VAULTGATE_ARTIFACTS (default
// testartifacts/); UPDATE_SCREENSHOT=1 also refreshes docs/demo.png.
func TestDemoInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	chromium := requireChromium(t)
	tests := []struct {
		mode   string
		cookie string
		// credentialShape says whether a cookie value looks like this mode's
		// credential: a JWT, or an opaque id that is not one.
		credentialShape func(string) bool
	}{
		{config.ModeJWT, demoCookieName, func(v string) bool { return strings.Count(v, ".") == 2 }},
		{config.ModeForward, demoSessionCookieName, func(v string) bool { return len(v) >= 20 && !strings.Contains(v, ".") }},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			d := startStack(t, map[string]string{"DEMO_AUTH_MODE": tt.mode}, demoMode)
			b := newBrowser(t, chromium, "browser-"+tt.mode)
			s := &browserScenario{t: t, d: d, b: b, base: d.public, mode: tt.mode, cookieName: tt.cookie}
			s.signIn("ada", "Ada Lovelace")
			s.checkCookie(tt.credentialShape)
			s.redirectFlow("Ada Lovelace", "vault")
			s.backToApp()
			s.jsonFlow()
			s.signOut()
			s.connectRefused()
			s.signInToContinue("grace", "Grace Hopper")
			d.logs.WantNoSecrets(t, s.secrets...)
		})
	}
}

// browserScenario is one visitor's walk through the demo.
type browserScenario struct {
	t          *testing.T
	d          *stack
	b          *browser
	base       string // the app's URL as this browser opens it
	mode       string
	cookieName string
	secrets    []string // credentials seen on the way, to search the logs for
}

// signIn opens the home page signed out and signs in as user, who belongs to
// the organisation with two users.
func (s *browserScenario) signIn(user, name string) {
	s.t.Helper()
	b := s.b
	b.do("open the sign-in page", chromedp.Navigate(s.base+"/"), chromedp.WaitVisible(chromedp.ID("signin-"+user)))
	if user == "ada" {
		b.shot("signin")
	}
	b.follow("sign in as "+user, "signin-"+user)
	if loc, want := b.location(), s.base+"/"; loc != want {
		s.t.Fatalf("after sign-in the browser is at %q, want %q", loc, want)
	}
	got := map[string]string{"whoami": b.text("whoami"), "consumer": b.text("consumer")}
	want := map[string]string{"whoami": name, "consumer": "org_acme"}
	if diff := cmp.Diff(want, got); diff != "" {
		s.t.Fatalf("signed-in home page (-want +got):\n%s", diff)
	}
	c := b.cookie(s.base+"/", s.cookieName)
	if c == nil {
		s.t.Fatalf("no %s cookie after sign-in", s.cookieName)
	}
	s.secrets = append(s.secrets, c.Value)
	if user == "ada" {
		b.shot("home")
	}
}

// checkCookie checks the sign-in cookie as the browser stored it: the
// mode's kind of credential, out of reach of scripts, not sent on
// cross-site subrequests.
func (s *browserScenario) checkCookie(shape func(string) bool) {
	s.t.Helper()
	c := s.b.cookie(s.base+"/", s.cookieName)
	if c == nil {
		s.t.Fatalf("no %s cookie after sign-in", s.cookieName)
	}
	if !c.HTTPOnly || c.SameSite != network.CookieSameSiteLax || c.Path != "/" || c.Domain != "localhost" {
		s.t.Errorf("cookie HttpOnly=%v SameSite=%q Path=%q Domain=%q; want true, Lax, /, localhost",
			c.HTTPOnly, c.SameSite, c.Path, c.Domain)
	}
	if !shape(c.Value) {
		s.t.Errorf("%s cookie is not a %s credential (%d chars)", s.cookieName, s.mode, len(c.Value))
	}
	if js := browserRun(s.b, "read document.cookie", chromedp.Evaluate[string]("document.cookie")); strings.Contains(js, s.cookieName) {
		s.t.Error("the sign-in cookie is readable from scripts")
	}
}

// vaultView is what the simulated Vault page shows about its session.
type vaultView struct {
	ConsumerID, UserName, Account, VaultName string
	UnifiedAPIs                              []string
}

// redirectFlow follows "Connect integrations" through /connect's 302 to the
// simulated Vault page and checks the session it shows.
func (s *browserScenario) redirectFlow(name, step string) {
	s.t.Helper()
	s.b.follow("connect (redirect flow)", "connect")
	s.onVault(name, step)
}

// signInToContinue signs in on the login page /connect sent a signed-out
// visitor to, and checks that sign-in carries on to /connect and so to
// Vault (return_to).
func (s *browserScenario) signInToContinue(user, name string) {
	s.t.Helper()
	if got := s.b.text("return-note"); !strings.Contains(got, "/connect") {
		s.t.Errorf("login page note = %q, want it to name /connect", got)
	}
	s.b.follow("sign in as "+user+" to continue", "signin-"+user)
	if c := s.b.cookie(s.base+"/", s.cookieName); c != nil {
		s.secrets = append(s.secrets, c.Value)
	}
	s.onVault(name, "vault-"+user)
}

// onVault checks that the browser is on the simulated Vault page of a new
// session for name, served by the demo's one listener.
func (s *browserScenario) onVault(name, step string) {
	s.t.Helper()
	b := s.b
	loc := b.location()
	if !strings.HasPrefix(loc, s.base+"/session/") {
		b.shot(step)
		s.t.Fatalf("after /connect the browser is at %q, want a session page on %s", loc, s.base)
	}
	s.secrets = append(s.secrets, loc, strings.TrimPrefix(loc, s.base+"/session/"))
	got := vaultView{
		ConsumerID: b.text("consumer-id"),
		UserName:   b.text("user-name"),
		Account:    b.text("account-name"),
		VaultName:  b.text("vault-name"),
		UnifiedAPIs: browserRun(b, "list unified APIs", chromedp.Evaluate[[]string](
			`Array.from(document.querySelectorAll('#unified-apis li'), li => li.textContent.trim())`)),
	}
	want := vaultView{
		ConsumerID: "org_acme", UserName: name, Account: "Acme Corp",
		VaultName: "Acme Integrations (test)", UnifiedAPIs: []string{"crm", "hris"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		s.t.Errorf("simulated Vault page (-want +got):\n%s", diff)
	}
	b.shot(step)
}

// backToApp follows the Vault page's link to the session's redirect_uri.
func (s *browserScenario) backToApp() {
	s.t.Helper()
	s.b.follow("back to the app", "back-to-app")
	if loc, want := s.b.location(), s.base+"/demo/connected"; loc != want {
		s.t.Fatalf("back at %q, want %q", loc, want)
	}
	s.b.do("show the connected page", chromedp.WaitVisible(chromedp.ID("connected")))
	s.b.shot("connected")
}

// jsonFlow presses the button that asks /connect for JSON with fetch().
func (s *browserScenario) jsonFlow() {
	s.t.Helper()
	b := s.b
	b.follow("go home", "home")
	b.do("create a session as JSON",
		chromedp.Click(chromedp.ID("connect-json")),
		// Wait for either outcome, so a refusal fails fast with its code.
		chromedp.WaitVisible(chromedp.CSS(`#json-result[data-status="ok"], #json-result[data-status="error"]`)),
	)
	status := browserRun(b, "read the JSON result status", chromedp.Evaluate[string](`document.getElementById('json-result').dataset.status`))
	if status != "ok" {
		b.shot("json")
		s.t.Fatalf("POST /connect from the page failed: %s", b.text("json-result"))
	}
	// The session URI is on VAULT_ORIGIN, the demo's canonical origin,
	// whatever name the browser used.
	vault, err := url.Parse(s.d.public)
	if err != nil {
		s.t.Fatal(err)
	}
	got := map[string]string{"consumer": b.text("json-consumer"), "host": b.text("json-host")}
	want := map[string]string{"consumer": "org_acme", "host": vault.Host}
	if diff := cmp.Diff(want, got); diff != "" {
		s.t.Errorf("JSON result (-want +got):\n%s", diff)
	}
	b.shot("json")
}

// signOut signs out and checks the cookie is gone. In forward mode the
// session is also withdrawn on the server, so even a copy of the old cookie
// no longer passes /connect.
func (s *browserScenario) signOut() {
	s.t.Helper()
	old := s.b.cookie(s.base+"/", s.cookieName)
	s.b.follow("sign out", "signout")
	if loc, want := s.b.location(), s.base+"/"; loc != want {
		s.t.Fatalf("after sign-out the browser is at %q, want %q", loc, want)
	}
	s.b.do("show the sign-in form", chromedp.WaitVisible(chromedp.ID("signin")))
	s.b.shot("signed-out")
	if c := s.b.cookie(s.base+"/", s.cookieName); c != nil {
		s.t.Errorf("the %s cookie survived sign-out", s.cookieName)
	}
	if s.mode == config.ModeForward && old != nil {
		if code := s.d.connectWithCookie(s.t, s.cookieName, old.Value); code != http.StatusUnauthorized {
			s.t.Errorf("/connect with a signed-out session cookie = %d, want 401", code)
		}
	}
}

// problemAnswer is what the page's fetch() of /connect saw.
type problemAnswer struct {
	Status      int    `json:"status"`
	ContentType string `json:"contentType"`
	Challenge   string `json:"challenge"`
	Code        string `json:"code"`
}

// connectRefused checks that, signed out, a navigation to /connect goes to
// the login page with return_to, and a fetch() gets 401 problem JSON.
func (s *browserScenario) connectRefused() {
	s.t.Helper()
	b := s.b
	b.do("open /connect signed out", chromedp.Navigate(s.base+"/connect"), chromedp.WaitVisible(chromedp.ID("signin")))
	if loc, want := b.location(), s.base+"/?return_to=%2Fconnect"; loc != want {
		s.t.Errorf("signed-out /connect went to %q, want the login page %q", loc, want)
	}
	b.shot("connect-refused")
	got := browserRun(b, "POST /connect from the page", chromedp.Evaluate[problemAnswer](`
		fetch('/connect', {method: 'POST', headers: {'Accept': 'application/json'}, credentials: 'same-origin'})
			.then(async (r) => ({
				status: r.status,
				contentType: r.headers.get('Content-Type') || '',
				challenge: r.headers.get('WWW-Authenticate') || '',
				code: (await r.json()).code || '',
			}))`, chromedp.EvalAwaitPromise))
	want := problemAnswer{Status: 401, ContentType: "application/problem+json", Challenge: "Bearer", Code: "unauthenticated"}
	got.Challenge, _, _ = strings.Cut(got.Challenge, " ")
	if diff := cmp.Diff(want, got); diff != "" {
		s.t.Errorf("signed-out POST /connect (-want +got):\n%s", diff)
	}
}

// updateDocsScreenshot refreshes docs/demo.png from the jwt scenario's
// signed-in home page with a live-updated badge, when UPDATE_SCREENSHOT=1.
func updateDocsScreenshot(t *testing.T, mode string, png []byte) {
	t.Helper()
	if os.Getenv("UPDATE_SCREENSHOT") != "1" || mode != config.ModeJWT {
		return
	}
	path := filepath.Join("..", "..", "docs", "demo.png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Errorf("update %s: %v", path, err)
	}
}

// connectWithCookie asks /connect for JSON with only the given cookie, the
// way a script (not the browser) would, and returns the status.
func (s *stack) connectWithCookie(t *testing.T, name, value string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.public+"/connect", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/json")
	req.AddCookie(&http.Cookie{Name: name, Value: value})
	res, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}
