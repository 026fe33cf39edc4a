package main

import (
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestBinary runs the real vaultgate binary the way an operator or a
// container runtime does: configuration checks, the health probe and a
// SIGTERM while requests are in flight. It is built once for all subtests.
func TestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	t.Run("check lists every problem", func(t *testing.T) { testCheckBroken(t, bin) })
	t.Run("check accepts a good environment", func(t *testing.T) { testCheckGood(t, bin) })
	t.Run("healthcheck", func(t *testing.T) { testHealthcheck(t, bin) })
	t.Run("help and version", func(t *testing.T) { testHelpVersion(t, bin) })
	t.Run("graceful shutdown under load", func(t *testing.T) { testGracefulShutdown(t, bin) })
}

func testCheckBroken(t *testing.T, bin string) {
	const key = "sk_live_must_not_be_echoed_77f3"
	cases := []struct {
		name string
		env  []string
		want []string // variable names the output must mention
	}{
		{
			name: "nothing set but bad values",
			env:  []string{"APIDECK_TIMEOUT=soon", "RATE_LIMIT_PER_MINUTE=-3"},
			want: []string{"APIDECK_API_KEY", "APIDECK_APP_ID", "APIDECK_TIMEOUT", "RATE_LIMIT_PER_MINUTE", "AUTH_AUDIENCE"},
		},
		{
			name: "secret set, several values wrong",
			env: []string{"APIDECK_API_KEY=" + key, "APIDECK_APP_ID=app", "AUTH_HS256_SECRET=" + key + key,
				"AUTH_ISSUER=https://idp.example", "AUTH_AUDIENCE=vaultgate",
				"APIDECK_MAX_RETRIES=lots", "SHUTDOWN_TIMEOUT=forever", "VAULT_UNIFIED_APIS=crm,nonsense"},
			want: []string{"APIDECK_MAX_RETRIES", "SHUTDOWN_TIMEOUT", "VAULT_UNIFIED_APIS"},
		},
		{
			name: "a typo in a variable's name",
			env: []string{"APIDECK_API_KEY=" + key, "APIDECK_APPID=app", "AUTH_HS256_SECRET=" + key + key,
				"AUTH_ISSUER=https://idp.example", "AUTH_AUDIENCE=vaultgate"},
			want: []string{"APIDECK_APPID: unknown variable; did you mean APIDECK_APP_ID?"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runBinary(t, bin, tc.env, "-check")
			if code != 1 {
				t.Fatalf("exit code = %d, want 1\nstdout: %s\nstderr: %s", code, stdout, stderr)
			}
			out := stdout + stderr
			for _, name := range tc.want {
				if !strings.Contains(out, name) {
					t.Errorf("output does not name %s:\n%s", name, out)
				}
			}
			if strings.Contains(out, "configuration OK") {
				t.Error("a broken configuration was reported OK")
			}
			if strings.Contains(out, key) {
				t.Error("the output repeats a secret value")
			}
		})
	}
}

func testCheckGood(t *testing.T, bin string) {
	f := startUpstreams(t)
	code, stdout, stderr := runBinary(t, bin, f.env(freeAddr(t), freeAddr(t)), "-check")
	if code != 0 {
		t.Fatalf("exit code = %d, want 0\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	if strings.Contains(stdout+stderr, binAPIKey) {
		t.Error("-check printed the API key")
	}
}

func testHealthcheck(t *testing.T, bin string) {
	f := startUpstreams(t)
	admin := freeAddr(t)
	startBinary(t, bin, f.env(freeAddr(t), admin), admin)

	if code, stdout, stderr := runBinary(t, bin, []string{"ADMIN_ADDR=" + admin}, "healthcheck"); code != 0 || stdout != "ok\n" {
		t.Errorf("healthcheck against the running instance: exit %d, stdout %q, want 0 and ok\n%s", code, stdout, stderr)
	}
	if code, stdout, stderr := runBinary(t, bin, []string{"ADMIN_ADDR=" + freeAddr(t)}, "healthcheck"); code != 1 || stdout != "" ||
		!strings.Contains(stderr, "connection refused") {
		t.Errorf("healthcheck with nothing listening: exit %d, stdout %q, stderr %q; want 1 and the reason", code, stdout, stderr)
	}
}

func testHelpVersion(t *testing.T, bin string) {
	code, stdout, stderr := runBinary(t, bin, nil, "-h")
	if code != 0 || !strings.Contains(stdout, "healthcheck") || !strings.Contains(stdout, "-version") || !strings.Contains(stdout, "-check") {
		t.Errorf("-h: exit %d, stdout %q, stderr %q; want 0 and the flags and subcommands", code, stdout, stderr)
	}
	code, stdout, _ = runBinary(t, bin, nil, "-version")
	if want := "vaultgate " + binVersion + " (commit " + binCommit + ", go"; code != 0 || !strings.HasPrefix(stdout, want) {
		t.Errorf("-version: exit %d, stdout %q; want 0 and %q…", code, stdout, want)
	}
	code, stdout, stderr = runBinary(t, bin, nil, "-nonsense")
	if code != 1 || stdout != "" || !strings.Contains(stderr, "-nonsense") {
		t.Errorf("unknown flag: exit %d, stdout %q, stderr %q; want 1 and the flag named", code, stdout, stderr)
	}
}

func testGracefulShutdown(t *testing.T, bin string) {
	if runtime.GOOS == "windows" {
		t.Skip("needs SIGTERM")
	}
	const (
		n               = 20
		shutdownTimeout = 5 * time.Second
	)
	f := startUpstreams(t)
	public, admin := freeAddr(t), freeAddr(t)
	proc := startBinary(t, bin, f.env(public, admin, "SHUTDOWN_TIMEOUT", shutdownTimeout.String()), admin)
	f.sim.SetLatency(time.Second)

	// Different users, so every request is its own upstream call.
	tokens := make([]string, n)
	for i := range tokens {
		tokens[i] = f.token(t, fmt.Sprintf("u-%02d", i))
	}
	client := &http.Client{Timeout: 15 * time.Second}
	replies := make(chan connectReply, n)
	for i := range n {
		go func() {
			req, err := http.NewRequest(http.MethodPost, "http://"+public+"/connect", nil)
			if err != nil {
				replies <- connectReply{err: err}
				return
			}
			req.Header.Set("Authorization", "Bearer "+tokens[i])
			res, err := client.Do(req)
			if err != nil {
				replies <- connectReply{err: err}
				return
			}
			res.Body.Close()
			replies <- connectReply{status: res.StatusCode}
		}()
	}
	// Every request has reached Apideck: all are accepted and in flight.
	for deadline := time.Now().Add(10 * time.Second); f.sim.Calls() < n; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d requests reached the upstream", f.sim.Calls(), n)
		}
	}

	signalled := time.Now()
	if err := proc.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	sawNotReady := false
	for !sawNotReady {
		select {
		case <-proc.exited:
			t.Fatal("process exited before /readyz reported 503")
		default:
		}
		if status, err := getStatus("http://" + admin + "/readyz"); err == nil && status == http.StatusServiceUnavailable {
			sawNotReady = true
		}
		time.Sleep(10 * time.Millisecond)
	}

	for range n {
		if r := <-replies; r.err != nil || r.status != http.StatusOK {
			t.Errorf("in-flight request ended with %v, want 200", r)
		}
	}
	select {
	case <-proc.exited:
	case <-time.After(shutdownTimeout + 2*time.Second):
		t.Fatalf("still running %v after SIGTERM", time.Since(signalled))
	}
	if proc.err != nil {
		t.Fatalf("exit after SIGTERM: %v, want status 0", proc.err)
	}
	if took := time.Since(signalled); took > shutdownTimeout {
		t.Errorf("exited %v after SIGTERM, beyond SHUTDOWN_TIMEOUT %v", took, shutdownTimeout)
	}
	if _, err := getStatus("http://" + public + "/connect"); err == nil {
		t.Error("public listener still answers after exit")
	}
	proc.out.WantNoSecrets(t, append([]string{binAPIKey}, tokens...)...)
}
