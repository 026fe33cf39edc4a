package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

const (
	// browserTimeout bounds one whole browser scenario, start-up included.
	browserTimeout = 60 * time.Second
	// stepTimeout bounds one step, so a page that never shows the awaited
	// element fails with that step's name rather than the scenario's timeout.
	stepTimeout = 15 * time.Second
	// viewport is the window the pages are shown (and photographed) in.
	viewportWidth, viewportHeight = 1000, 700
	chromiumDefaultPath           = "/usr/bin/chromium"
)

// browser is one headless Chromium, with its own profile, driving one tab.
type browser struct {
	t         *testing.T
	ctx       context.Context
	prefix    string // screenshot names: <prefix>-<step>.png
	artifacts string
}

// chromiumPath finds the Chromium binary: the Debian package's path first,
// then PATH.
func chromiumPath() (string, error) {
	if _, err := os.Stat(chromiumDefaultPath); err == nil {
		return chromiumDefaultPath, nil
	}
	return exec.LookPath("chromium")
}

// browserUnavailable fails the test in CI, where Chromium is installed on
// purpose, and skips it elsewhere.
func browserUnavailable(t *testing.T, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("CI") != "" {
		t.Fatalf("browser test cannot run in CI: %s", msg)
	}
	t.Skipf("browser test skipped: %s (set CI=1 to make this a failure)", msg)
}

// requireChromium returns the Chromium binary, or skips (fails in CI)
// without one.
func requireChromium(t *testing.T) string {
	t.Helper()
	path, err := chromiumPath()
	if err != nil {
		browserUnavailable(t, "no Chromium at %s or on PATH (Debian: apt-get install chromium)", chromiumDefaultPath)
	}
	return path
}

// newBrowser starts headless Chromium (path) for one scenario. Everything
// the test does in it must finish within browserTimeout.
func newBrowser(t *testing.T, path, prefix string) *browser {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	t.Cleanup(cancel)
	// Only these flags: a quiet headless browser that talks to nothing but
	// the test's loopback servers. No sandbox, since CI containers run the
	// tests as root, where Chromium's sandbox cannot start.
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	t.Cleanup(cancelAlloc)
	tabCtx, cancelTab := chromedp.NewContext(allocCtx)
	t.Cleanup(cancelTab)
	// The first action starts the browser.
	if err := chromedp.Do(tabCtx, chromedp.EmulateViewport(viewportWidth, viewportHeight)); err != nil {
		browserUnavailable(t, "Chromium at %s did not start: %v", path, err)
	}
	return &browser{t: t, ctx: tabCtx, prefix: prefix, artifacts: artifactsDir(t)}
}

// artifactsDir is $VAULTGATE_ARTIFACTS, or testartifacts/ beside the test
// (git-ignored).
func artifactsDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("VAULTGATE_ARTIFACTS")
	if dir == "" {
		dir = "testartifacts"
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("artifacts directory: %v", err)
	}
	return dir
}

// do runs actions, failing the test (with a screenshot of where it stood)
// when one fails.
func (b *browser) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.failShot()
		b.t.Fatalf("%s: %v", what, err)
	}
}

// follow clicks the element with id and waits until the page it leads to
// has loaded, wherever that is: the caller then checks the location, so a
// wrong destination fails at once instead of after a wait for an element.
func (b *browser) follow(what, id string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Click(chromedp.ID(id)))); err != nil {
		b.failShot()
		b.t.Fatalf("%s: %v", what, err)
	}
}

// browserRun runs one action that returns a value, failing the test on error.
func browserRun[T any](b *browser, what string, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.failShot()
		b.t.Fatalf("%s: %v", what, err)
	}
	return v
}

// text is the visible text of the element with id. A node found just
// before the page replaces it (a navigation finishing, a list re-rendered)
// can no longer be read: it is looked up again.
func (b *browser) text(id string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	for {
		v, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID(id)))
		if err == nil {
			return v
		}
		if ctx.Err() != nil {
			b.failShot()
			b.t.Fatalf("read #%s: %v", id, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// location is the tab's current URL.
func (b *browser) location() string {
	b.t.Helper()
	return browserRun(b, "read the location", chromedp.Location())
}

// cookie returns the browser's cookie name for url, or nil.
func (b *browser) cookie(url, name string) *network.Cookie {
	b.t.Helper()
	res, err := chromedp.Call(b.ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{url}})
	if err != nil {
		b.t.Fatalf("read cookies: %v", err)
	}
	for _, c := range res.Cookies {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// shot saves a PNG of the page as <prefix>-<step>.png and returns it.
func (b *browser) shot(step string) []byte {
	b.t.Helper()
	png := browserRun(b, "screenshot "+step, chromedp.FullScreenshot(100))
	path := filepath.Join(b.artifacts, b.prefix+"-"+step+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Errorf("save screenshot: %v", err)
	}
	return png
}

// failShot saves what the page looked like when a step failed, if the
// browser can still say.
func (b *browser) failShot() {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil || errors.Is(b.ctx.Err(), context.DeadlineExceeded) {
		return
	}
	_ = os.WriteFile(filepath.Join(b.artifacts, b.prefix+"-failed.png"), png, 0o644)
}

// newTab opens a second tab in the same browser (same profile and
// cookies), for pages that must react to what happens in another one.
func (b *browser) newTab(prefix string) *browser {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx)
	b.t.Cleanup(cancel)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(viewportWidth, viewportHeight)); err != nil {
		b.t.Fatalf("open a second tab: %v", err)
	}
	return &browser{t: b.t, ctx: ctx, prefix: prefix, artifacts: b.artifacts}
}

// within runs actions that must finish within d (a user-visible promise,
// such as a live update), failing the test with what it was waiting for.
func (b *browser) within(what string, d time.Duration, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, d)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.failShot()
		b.t.Fatalf("%s (within %s): %v", what, d, err)
	}
}
