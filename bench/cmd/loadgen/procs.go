package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// child is a process the load tool started: the mock, bare or vaultgate.
type child struct {
	name string
	cmd  *exec.Cmd
	log  string // file holding its stdout and stderr
	done chan struct{}
}

// startChild starts bin with args and exactly env (nothing inherited, so
// the developer's own APIDECK_* or proxy variables cannot leak in), output
// to a file in dir. The child is killed if the load tool dies.
func startChild(dir, name, bin string, args, env []string) (*child, error) {
	logPath := filepath.Join(dir, name+".log")
	f, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cmd := exec.Command(bin, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.TempDir()}, env...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	c := &child{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(c.done)
	}()
	return c, nil
}

// pid is the child's process id, for /proc.
func (c *child) pid() int { return c.cmd.Process.Pid }

// stop asks the child to exit (SIGTERM) and kills it after a grace period.
func (c *child) stop() {
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(10 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.done
	}
}

// waitLine polls the child's log until match accepts a line, the child
// exits or ctx ends.
func (c *child) waitLine(ctx context.Context, match func(string) (string, bool)) (string, error) {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if v, ok := scanLog(c.log, match); ok {
			return v, nil
		}
		select {
		case <-c.done:
			return "", fmt.Errorf("%s exited before it was ready; its log:\n%s", c.name, tail(c.log, 2000))
		case <-ctx.Done():
			return "", fmt.Errorf("%s not ready: %w; its log:\n%s", c.name, ctx.Err(), tail(c.log, 2000))
		case <-tick.C:
		}
	}
}

func scanLog(path string, match func(string) (string, bool)) (string, bool) {
	f, err := os.Open(path)
	if err != nil {
		return "", false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if v, ok := match(sc.Text()); ok {
			return v, true
		}
	}
	return "", false
}

// tail returns at most the last n bytes of a file.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// server is a started process and where it listens.
type server struct {
	*child
	public string // base URL
	admin  string // vaultgate's admin base URL; empty for the others
}

// startPrinter runs a program that prints its base URL as a line (the lean
// mock, the bare program) and waits for that line.
func startPrinter(ctx context.Context, dir, name, bin string, args, env []string) (*server, error) {
	c, err := startChild(dir, name, bin, args, env)
	if err != nil {
		return nil, err
	}
	url, err := c.waitLine(ctx, func(line string) (string, bool) {
		return line, strings.HasPrefix(line, "http://127.0.0.1:")
	})
	if err != nil {
		c.stop()
		return nil, err
	}
	return &server{child: c, public: url}, nil
}

// startMock runs the lean mock of Apideck on a free loopback port.
func startMock(ctx context.Context, dir, name, bin string, latency time.Duration) (*server, error) {
	return startPrinter(ctx, dir, name, bin, []string{
		"-addr", "127.0.0.1:0", "-api-key", benchAPIKey, "-app-id", benchAppID, "-latency", latency.String(),
	}, nil)
}

// startBare runs the bare reference program against mockURL, with
// exactly vaultgate's environment (it reads the variables it needs).
func startBare(ctx context.Context, dir, name, bin, mockURL string) (*server, error) {
	return startPrinter(ctx, dir, name, bin, nil, vaultgateEnv(mockURL, false))
}

// vaultgateEnv is a production-like configuration: HS256 tokens, the
// consumer from a claim, metadata claims (by default), an allow-listed
// redirect, a theme, and no per-user rate limit (the load repeats users).
func vaultgateEnv(mockURL string, pprof bool) []string {
	env := []string{
		"APIDECK_API_KEY=" + benchAPIKey,
		"APIDECK_APP_ID=" + benchAppID,
		"APIDECK_BASE_URL=" + mockURL,
		"VAULT_ORIGIN=" + mockURL,
		"AUTH_HS256_SECRET=" + benchHMAC,
		"AUTH_ISSUER=" + benchIssuer,
		"AUTH_AUDIENCE=" + benchAudience,
		"CONSUMER_ID_CLAIM=org_id",
		"VAULT_REDIRECT_URI=" + benchRedirect,
		"VAULT_ALLOWED_REDIRECT_URIS=https://app.bench.test/integrations/",
		"VAULT_UNIFIED_APIS=crm,accounting,hris",
		"VAULT_THEME_VAULT_NAME=Bench",
		"RATE_LIMIT_PER_MINUTE=0",
		"HTTP_ADDR=127.0.0.1:0",
		"ADMIN_ADDR=127.0.0.1:0",
		"LOG_LEVEL=info",
	}
	if pprof {
		env = append(env, "ADMIN_PPROF=true")
	}
	return env
}

// startVaultgate runs the server against mockURL and waits until /readyz
// answers 200. Its listeners are on free ports, read from its start-up log.
func startVaultgate(ctx context.Context, dir, name, bin, mockURL string, pprof bool) (*server, error) {
	c, err := startChild(dir, name, bin, nil, vaultgateEnv(mockURL, pprof))
	if err != nil {
		return nil, err
	}
	addrs, err := c.waitLine(ctx, func(line string) (string, bool) {
		var l struct {
			Message   string `json:"message"`
			HTTPAddr  string `json:"http_addr"`
			AdminAddr string `json:"admin_addr"`
		}
		if json.Unmarshal([]byte(line), &l) != nil || l.Message != "vaultgate listening" {
			return "", false
		}
		return l.HTTPAddr + " " + l.AdminAddr, l.HTTPAddr != "" && l.AdminAddr != ""
	})
	if err != nil {
		c.stop()
		return nil, err
	}
	public, admin, _ := strings.Cut(addrs, " ")
	v := &server{child: c, public: "http://" + public, admin: "http://" + admin}
	if err := waitReady(ctx, v.admin); err != nil {
		c.stop()
		return nil, fmt.Errorf("%s: %w; its log:\n%s", name, err, tail(c.log, 2000))
	}
	return v, nil
}

var errNotReady = errors.New("/readyz never answered 200")
