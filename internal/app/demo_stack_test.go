package app

import (
	"context"
	"maps"
	"net"
	"net/http"
	"testing"
	"time"
)

// demoStack is a running demo (serveDemo) on loopback ports.
type demoStack struct {
	appURL   string // http://localhost:<port>
	upstream string // http://127.0.0.1:<port> of the simulator and demo identity
	admin    string
	logs     *syncBuffer
	banner   *syncBuffer
}

// demoTestVars are the variables every demo test sets; a test's own
// variables override them. The process environment is never read.
func demoTestVars() map[string]string {
	return map[string]string{
		"VAULT_UNIFIED_APIS":     "crm,hris",
		"VAULT_THEME_VAULT_NAME": "Acme Integrations (test)",
		"LOG_FORMAT":             "json",
		"LOG_LEVEL":              "debug",
		"SHUTDOWN_TIMEOUT":       "5s",
	}
}

// startDemo serves the demo on 127.0.0.1:0 listeners and waits until it is
// ready; it stops when the test ends.
func startDemo(t *testing.T, vars map[string]string) *demoStack {
	t.Helper()
	all := demoTestVars()
	maps.Copy(all, vars)
	public, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	admin, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		public.Close()
		t.Fatal(err)
	}
	d := &demoStack{logs: &syncBuffer{}, banner: &syncBuffer{}}
	ready := make(chan demoWiring, 1)
	done := make(chan error, 1)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		done <- serveDemo(ctx, demoRun{
			environ: environ(all), public: public, admin: admin,
			stdout: d.logs, stderr: d.banner,
			onReady: func(w demoWiring) { ready <- w },
		})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("demo server: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("demo server did not stop")
		}
	})
	select {
	case a := <-ready:
		d.appURL, d.upstream, d.admin = a.appURL, a.origin, "http://"+a.adminAddr
	case err := <-done:
		done <- err // for the cleanup
		t.Fatalf("demo server stopped before it was ready: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("demo server not ready after 10s")
	}
	waitReady(t, d.admin)
	return d
}

// dumpLogsOnFailure prints the demo's logs when the test fails, which is
// where a refused /connect explains itself.
func (d *demoStack) dumpLogsOnFailure(t *testing.T) {
	t.Helper()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("demo logs:\n%s", d.logs.String())
		}
	})
}

// connectWithCookie asks /connect for JSON with only the given cookie, the
// way a script (not the browser) would, and returns the status.
func (d *demoStack) connectWithCookie(t *testing.T, name, value string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, d.appURL+"/connect", nil)
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
