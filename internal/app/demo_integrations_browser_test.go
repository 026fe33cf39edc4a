package app

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/vaultgate/vaultgate/internal/config"
	"github.com/vaultgate/vaultgate/internal/simulator"
)

// liveWithin is how soon an open integrations page must show a change made
// in Vault: the promise the page makes to its user.
const liveWithin = 2 * time.Second

// TestDemoIntegrationsLoop walks the integrations page's whole loop in real
// Chromium: the list shows Salesforce available, its Connect button leads
// through /connect to the simulated Vault's deep link, connecting it there
// and going back shows it connected (callable), and Disconnect makes it
// available again. It runs in both demo modes, and once with the demo
// opened at 127.0.0.1 while vaultgate is configured for localhost: one
// listener, URLs built from the request.
func TestDemoIntegrationsLoop(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	chromium := requireChromium(t)
	tests := []struct {
		name, mode, cookie string
		host               string // the name the browser uses for the demo
	}{
		{"jwt", config.ModeJWT, demoCookieName, "localhost"},
		{"forward", config.ModeForward, demoSessionCookieName, "localhost"},
		{"jwt at 127.0.0.1", config.ModeJWT, demoCookieName, "127.0.0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := startStack(t, map[string]string{"DEMO_AUTH_MODE": tt.mode}, demoMode)
			b := newBrowser(t, chromium, "loop-"+strings.ReplaceAll(tt.name, " ", "-"))
			base := strings.Replace(d.public, "localhost", tt.host, 1)
			s := &browserScenario{t: t, d: d, b: b, base: base, mode: tt.mode, cookieName: tt.cookie}
			s.signIn("ada", "Ada Lovelace")
			s.wantRow(b, "salesforce", "available", "available", stepTimeout)
			b.shot("list")

			b.follow("connect Salesforce from the list", "connect-crm-salesforce")
			if loc := b.location(); !strings.HasPrefix(loc, base+"/integrations/crm/salesforce?jwt=") {
				t.Fatalf("Connect led to %q, want the Vault deep link on %s", loc, base)
			} else {
				s.secrets = append(s.secrets, loc, strings.TrimPrefix(loc, base+"/integrations/crm/salesforce?jwt="))
			}
			b.follow("connect Salesforce in Vault", "connect-crm-salesforce")
			if got := b.text("state-crm-salesforce"); got != "callable" {
				t.Errorf("Vault shows Salesforce %q after connecting, want callable", got)
			}
			b.shot("vault-connected")
			b.follow("back to the app", "back-to-app")
			if loc, want := b.location(), base+"/demo/connected"; loc != want {
				t.Fatalf("back at %q, want %q", loc, want)
			}
			s.wantRow(b, "salesforce", "callable", "connected", stepTimeout)
			b.do("summarise what is connected", chromedp.WaitVisible(chromedp.CSS(`#back-summary[data-connected="1"]`)))
			if got := b.text("back-summary"); got != "Connected: Salesforce." {
				t.Errorf("landing page says %q, want %q", got, "Connected: Salesforce.")
			}
			b.shot("back")

			b.do("disconnect Salesforce", chromedp.Click(chromedp.ID("disconnect-crm-salesforce")))
			s.wantRow(b, "salesforce", "available", "available", stepTimeout)
			if got := b.text("back-summary"); got != "Nothing is connected yet." {
				t.Errorf("after Disconnect the landing page says %q", got)
			}
			d.logs.WantNoSecrets(t, s.secrets...)
		})
	}
}

// TestDemoLiveBadges keeps the integrations page open in one tab, connects
// Salesforce in the simulated Vault in a second tab, and sees the first
// page's badge turn "connected" within liveWithin, with no reload; then
// disconnects it in Vault and sees the badge turn back. The simulator's
// signed webhooks reach vaultgate's APIDECK_WEBHOOK_PATH, which pushes them
// to the page's /connections/events stream. UPDATE_SCREENSHOT=1 refreshes
// docs/demo.png from the jwt run.
func TestDemoLiveBadges(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	chromium := requireChromium(t)
	for _, tt := range []struct{ mode, cookie string }{
		{config.ModeJWT, demoCookieName},
		{config.ModeForward, demoSessionCookieName},
	} {
		t.Run(tt.mode, func(t *testing.T) {
			d := startStack(t, map[string]string{"DEMO_AUTH_MODE": tt.mode}, demoMode)
			page := newBrowser(t, chromium, "live-"+tt.mode)
			s := &browserScenario{t: t, d: d, b: page, base: d.public, mode: tt.mode, cookieName: tt.cookie}
			s.signIn("ada", "Ada Lovelace")
			page.do("wait for the live stream", chromedp.WaitVisible(chromedp.CSS(`#live[data-live="on"]`)))
			s.wantRow(page, simulator.Salesforce, "available", "available", stepTimeout)
			// A reload would drop this mark.
			browserRun(page, "mark the page", chromedp.Evaluate[bool](`window.stillTheSamePage = true`))

			vault := page.newTab("live-" + tt.mode + "-vault")
			vault.do("open Salesforce in Vault", chromedp.Navigate(d.public+"/connect?unified_apis=crm&service_id=salesforce"),
				chromedp.WaitVisible(chromedp.ID("connect-crm-salesforce")))
			if loc := vault.location(); strings.Contains(loc, "jwt=") {
				s.secrets = append(s.secrets, loc)
			}
			vault.follow("connect Salesforce in Vault", "connect-crm-salesforce")
			start := time.Now()
			s.wantRow(page, simulator.Salesforce, "callable", "connected", liveWithin)
			t.Logf("the open page showed the connection %s after Vault's answer", time.Since(start).Round(time.Millisecond))
			png := page.shot("connected")
			updateDocsScreenshot(t, tt.mode, png)

			vault.follow("disconnect Salesforce in Vault", "disconnect-crm-salesforce")
			start = time.Now()
			s.wantRow(page, simulator.Salesforce, "available", "available", liveWithin)
			t.Logf("and the disconnection %s after", time.Since(start).Round(time.Millisecond))
			if !browserRun(page, "read the mark", chromedp.Evaluate[bool](`window.stillTheSamePage === true`)) {
				t.Error("the integrations page was reloaded; the badges must change in place")
			}
			d.logs.WantNoSecrets(t, s.secrets...)
		})
	}
}

// wantRow waits (up to d) until the integrations list shows the crm
// connector serviceID in state, with the badge text label.
func (s *browserScenario) wantRow(b *browser, serviceID, state, label string, d time.Duration) {
	s.t.Helper()
	id := "crm-" + serviceID
	b.within("list shows "+serviceID+" "+state, d,
		chromedp.WaitVisible(chromedp.CSS(`#conn-`+id+`[data-state="`+state+`"]`)))
	// The page may re-render the row (a re-read after the stream's ready)
	// between the wait and the read: give the badge the same time.
	got, deadline := b.text("state-"+id), time.Now().Add(d)
	for got != label && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		got = b.text("state-" + id)
	}
	if got != label {
		s.t.Errorf("%s badge = %q, want %q", serviceID, got, label)
	}
}
