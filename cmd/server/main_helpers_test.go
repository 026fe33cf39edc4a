package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/vaultgate/vaultgate/internal/demo"
	"github.com/vaultgate/vaultgate/internal/simulator"
	"github.com/vaultgate/vaultgate/internal/testkit"
)

const (
	binAPIKey   = "sk_test_binary_4b1d2c3e5f6a7b8c"
	binAppID    = "app-binary"
	binAudience = "vaultgate-binary"
	binVersion  = "v9.8.7-test"
	binCommit   = "0123abc"
)

// buildBinary compiles this command once for the calling test.
func buildBinary(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("go tool not on PATH: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "vaultgate")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	// Stamped the way the Dockerfile stamps a release.
	ldflags := "-X github.com/vaultgate/vaultgate/internal/app.Version=" + binVersion +
		" -X github.com/vaultgate/vaultgate/internal/app.Commit=" + binCommit
	out, err := exec.CommandContext(ctx, goTool, "build", "-ldflags", ldflags, "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// upstreamFixture is what a deployment talks to: Apideck (simulated) and
// the app's identity provider, both on one loopback server.
type upstreamFixture struct {
	sim    *simulator.Simulator
	issuer *demo.Issuer
	url    string
}

func startUpstreams(t *testing.T) *upstreamFixture {
	t.Helper()
	sim, err := simulator.New(simulator.Config{APIKey: binAPIKey, AppID: binAppID})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	t.Cleanup(sim.Reset) // frees calls held by latency before srv.Close waits for them
	sim.SetVaultOrigin(srv.URL)
	issuer, err := demo.NewIssuer(srv.URL+"/idp", binAudience)
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("/idp/jwks.json", issuer.JWKS())
	mux.Handle("/", sim)
	return &upstreamFixture{sim: sim, issuer: issuer, url: srv.URL}
}

// env is a complete, valid environment for the binary. Nothing is
// inherited from the test's own environment.
func (f *upstreamFixture) env(httpAddr, adminAddr string, extra ...string) []string {
	vars := map[string]string{
		"APIDECK_API_KEY":   binAPIKey,
		"APIDECK_APP_ID":    binAppID,
		"APIDECK_BASE_URL":  f.url,
		"VAULT_ORIGIN":      f.url,
		"AUTH_JWKS_URL":     f.url + "/idp/jwks.json",
		"AUTH_ISSUER":       f.url + "/idp",
		"AUTH_AUDIENCE":     binAudience,
		"CONSUMER_ID_CLAIM": "org.id",
		"HTTP_ADDR":         httpAddr,
		"ADMIN_ADDR":        adminAddr,
		"SHUTDOWN_TIMEOUT":  "5s",
	}
	for i := 0; i+1 < len(extra); i += 2 {
		vars[extra[i]] = extra[i+1]
	}
	return testkit.Environ(vars)
}

func (f *upstreamFixture) token(t *testing.T, userID string) string {
	t.Helper()
	tok, err := f.issuer.Mint(demo.User{ID: userID, Name: userID, OrgID: "org_" + userID}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// freeAddr returns a loopback address nothing listens on right now. The
// port is released before the binary binds it; a collision in between is
// possible but unlikely enough for a test.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// runBinary runs the binary to completion and returns its exit code and
// output.
func runBinary(t *testing.T, bin string, env []string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if ee, ok := errors.AsType[*exec.ExitError](err); ok {
		return ee.ExitCode(), out.String(), errOut.String()
	}
	if err != nil {
		t.Fatalf("run %v: %v", args, err)
	}
	return 0, out.String(), errOut.String()
}

// running is a started binary; exited is closed once it has been reaped.
type running struct {
	cmd    *exec.Cmd
	out    *testkit.Buffer
	exited chan struct{}
	err    error // valid after exited is closed
}

// startBinary starts the binary serving and waits for /readyz. It is
// killed at cleanup if still running.
func startBinary(t *testing.T, bin string, env []string, adminAddr string) *running {
	t.Helper()
	r := &running{cmd: exec.Command(bin), out: &testkit.Buffer{}, exited: make(chan struct{})}
	r.cmd.Env = env
	r.cmd.Stdout, r.cmd.Stderr = r.out, r.out
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		r.err = r.cmd.Wait()
		close(r.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-r.exited:
		default:
			_ = r.cmd.Process.Kill()
			<-r.exited
		}
		if t.Failed() {
			t.Logf("vaultgate output:\n%s", r.out.String())
		}
	})
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(25 * time.Millisecond) {
		select {
		case <-r.exited:
			t.Fatalf("vaultgate exited during start-up: %v", r.err)
		default:
		}
		if status, err := getStatus("http://" + adminAddr + "/readyz"); err == nil && status == http.StatusOK {
			return r
		}
	}
	t.Fatal("vaultgate never became ready")
	return nil
}

// getStatus GETs url and returns the status code.
func getStatus(url string) (int, error) {
	client := &http.Client{Timeout: 2 * time.Second}
	res, err := client.Get(url)
	if err != nil {
		return 0, err
	}
	res.Body.Close()
	return res.StatusCode, nil
}

// connectReply is one /connect answer collected off the test goroutine.
type connectReply struct {
	status int
	err    error
}

func (r connectReply) String() string { return fmt.Sprintf("status %d err %v", r.status, r.err) }
