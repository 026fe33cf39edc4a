package app

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vaultgate/vaultgate/internal/config"
	"github.com/vaultgate/vaultgate/internal/testkit"
)

// Run reads only the environment it is given, so configurations are
// checked side by side.
func TestRunCheck(t *testing.T) {
	t.Parallel()
	good := []string{
		"APIDECK_API_KEY=" + testAPIKey, "APIDECK_APP_ID=app", "AUTH_JWKS_URL=https://idp.example.test/jwks.json",
		"AUTH_ISSUER=https://idp.example.test/", "AUTH_AUDIENCE=vaultgate",
	}
	tests := []struct {
		name    string
		environ []string
		args    []string
		want    string // in the output, or in the error when wantErr
		wantErr bool
	}{
		{"good", good, []string{"-check"}, "configuration OK", false},
		{"every problem", []string{"APIDECK_TIMEOUT=soon", "OTEL_EXPORTER_OTLP_ENDPOINT=http://c:4318", "OTEL_EXPORTER_OTLP_PROTOCOL=grpc"},
			[]string{"-check"}, "APIDECK_API_KEY", true},
		{"tracing problems with the rest", append(good, "OTEL_EXPORTER_OTLP_ENDPOINT=http://c:4318", "OTEL_EXPORTER_OTLP_PROTOCOL=grpc"),
			[]string{"-check"}, "OTEL_EXPORTER_OTLP_PROTOCOL", true},
		{"a typo", append(good, "APIDECK_APPID=app"), []string{"-check"}, "APIDECK_APPID: unknown variable; did you mean APIDECK_APP_ID?", true},
		{"demo needs nothing", nil, []string{"-demo", "-check"}, "demo configuration OK", false},
		{"unexpected argument", good, []string{"-check", "serve"}, "unexpected argument", true},
		{"healthcheck with a bad ADMIN_ADDR", []string{"ADMIN_ADDR=nonsense"}, []string{"healthcheck"}, "ADMIN_ADDR", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			err := Run(t.Context(), tt.environ, tt.args, &out, io.Discard)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Run = %v, want error %v", err, tt.wantErr)
			}
			got := out.String()
			if err != nil {
				got = err.Error()
			}
			if !strings.Contains(got, tt.want) {
				t.Errorf("got %q, want it to hold %q", got, tt.want)
			}
			if strings.Contains(got, testAPIKey) {
				t.Error("the output holds the API key")
			}
		})
	}
}

// The command line answers -h, -version and healthcheck the way scripts and
// container runtimes expect; an error here is exit status 1 (see main).
func TestRunCommandLine(t *testing.T) {
	t.Parallel()
	healthy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(healthy.Close)
	sick := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	t.Cleanup(sick.Close)
	admin := func(s *httptest.Server) []string { return []string{"ADMIN_ADDR=" + s.Listener.Addr().String()} }

	tests := []struct {
		name    string
		environ []string
		args    []string
		want    []string // in stdout, or in the error when wantErr
		wantErr bool
	}{
		{"-h", nil, []string{"-h"}, []string{"Usage:", "-check", "-demo", "-version", "healthcheck"}, false},
		{"--help", nil, []string{"--help"}, []string{"-version", "healthcheck"}, false},
		{"-version", nil, []string{"-version"}, []string{"vaultgate " + Version, "commit " + Commit}, false},
		{"unknown flag", nil, []string{"-verbose"}, []string{"-verbose", "try -h"}, true},
		{"healthcheck", admin(healthy), []string{"healthcheck"}, []string{"ok\n"}, false},
		{"healthcheck of a failing instance", admin(sick), []string{"healthcheck"}, []string{"503"}, true},
		{"healthcheck with arguments", admin(healthy), []string{"healthcheck", "now"}, []string{`"now"`}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			err := Run(t.Context(), tt.environ, tt.args, &out, io.Discard)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Run = %v (output %q), want error %v", err, out.String(), tt.wantErr)
			}
			got := out.String()
			if err != nil {
				if got != "" {
					t.Errorf("stdout %q on failure, want nothing", got)
				}
				got = err.Error()
			}
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("got %q, want it to hold %q", got, w)
				}
			}
		})
	}
}

// A console log is plain text unless it goes to a terminal, and the
// configuration reads as one key=value line per section, secrets left out.
func TestConsoleLog(t *testing.T) {
	t.Parallel()
	cfg, err := config.Load([]string{
		"APIDECK_API_KEY=" + testAPIKey, "APIDECK_APP_ID=app-console", "AUTH_HS256_SECRET=" + testAPIKey + testAPIKey,
		"AUTH_ISSUER=https://idp.example.test/", "AUTH_AUDIENCE=vaultgate", "LOG_FORMAT=console",
	})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	addr := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080}
	logListening(newLogger(&buf, cfg.LogLevel, cfg.LogFormat), cfg, addr, addr)
	out := buf.String()
	if strings.Contains(out, "\x1b[") {
		t.Errorf("colour codes in a log that is not a terminal:\n%q", out)
	}
	for _, want := range []string{"vaultgate listening", "config: apideck", "app_id=app-console", "api_key_set=true",
		"config: auth", "key_source=hs256_secret", "config: vault", "config: consumer", "shutdown_timeout=15s"} {
		if !strings.Contains(out, want) {
			t.Errorf("console log lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, testAPIKey) || strings.Contains(out, `"config"`) {
		t.Errorf("console log holds a secret or the JSON blob:\n%s", out)
	}

	f, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if isTerminal(f) {
		t.Error("a file is taken for a terminal")
	}
}

// Once drained, Run returns promptly and frees its ports, even while
// clients hold connections that never sent a request (a browser's spare
// pre-connect, a TCP probe), which net/http alone waits 5 s for.
func TestRunFreesPortsPromptly(t *testing.T) {
	t.Parallel()
	public, admin := freeAddr(t), freeAddr(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, []string{
			"APIDECK_API_KEY=" + testAPIKey, "APIDECK_APP_ID=app", "AUTH_HS256_SECRET=" + testAPIKey + testAPIKey,
			"AUTH_ISSUER=https://idp.example.test/", "AUTH_AUDIENCE=vaultgate", "HTTP_ADDR=" + public, "ADMIN_ADDR=" + admin,
		}, nil, io.Discard, io.Discard)
	}()
	testkit.Eventually(t, "admin listener up", func() bool {
		res, err := http.Get("http://" + admin + "/readyz")
		if err == nil {
			res.Body.Close()
		}
		return err == nil && res.StatusCode == http.StatusOK
	})
	for _, addr := range []string{public, admin} {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
	}
	// And one idle keep-alive connection after a request.
	client := &http.Client{}
	defer client.CloseIdleConnections()
	if res, err := client.Get("http://" + public + "/connect"); err == nil {
		res.Body.Close()
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run = %v", err)
		}
	case <-time.After(4 * time.Second): // generous, yet short of net/http's 5 s
		t.Fatal("Run still draining idle connections after 4 s")
	}
	for _, addr := range []string{public, admin} {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatalf("%s still taken after Run returned: %v", addr, err)
		}
		l.Close()
	}
}

// freeAddr is a loopback address nothing listens on right now; a collision
// before Run binds it is possible but unlikely enough for a test.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
