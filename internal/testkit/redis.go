package testkit

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"
)

const (
	// redisBinary is the Debian package's server; scripts/test.sh installs it.
	redisBinary = "redis-server"
	// redisReadyTimeout bounds how long a starting server may take to answer
	// PING; redis-server usually needs a few milliseconds.
	redisReadyTimeout = 10 * time.Second
	// redisStartAttempts retries when the port picked turned out to be taken
	// between choosing it and redis-server binding it.
	redisStartAttempts = 5
)

// Redis is a real redis-server on a free loopback port, without
// persistence, stopped when the test ends. Tests can kill it, freeze it and
// bring it back on the same port to see how code behaves when the shared
// store goes away. Its methods must be called from the test's goroutine.
type Redis struct {
	t    testing.TB
	path string
	dir  string
	port int
	out  *Buffer
	proc *process
}

// process is one run of the binary; exited is closed once it is reaped.
type process struct {
	cmd    *exec.Cmd
	exited chan struct{}
}

// StartRedis runs redis-server on a free 127.0.0.1 port and stops it in
// t.Cleanup. Without the binary the test is skipped, or fails when the CI
// environment variable is set, so CI never silently skips these tests.
func StartRedis(t testing.TB) *Redis {
	t.Helper()
	path, err := exec.LookPath(redisBinary)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("testkit: %s not found on PATH (install the redis-server package): %v", redisBinary, err)
		}
		t.Skipf("testkit: %s not found on PATH; install the redis-server package to run this test", redisBinary)
	}
	s := &Redis{t: t, path: path, dir: t.TempDir(), out: &Buffer{}}
	t.Cleanup(s.stop)
	var lastErr error
	for range redisStartAttempts {
		s.port, err = freePort()
		if err != nil {
			t.Fatalf("testkit: %v", err)
		}
		if lastErr = s.start(); lastErr == nil {
			return s
		}
	}
	t.Fatalf("testkit: redis-server did not start: %v\n%s", lastErr, s.out.String())
	return nil
}

// Addr is the server's host:port.
func (s *Redis) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

// URL is the server's redis:// URL, as REDIS_URL would carry it.
func (s *Redis) URL() string { return "redis://" + s.Addr() + "/0" }

// Kill stops the server abruptly (SIGKILL), losing all data, as a crash
// would. Connections to it fail at once.
func (s *Redis) Kill() {
	s.t.Helper()
	if s.proc == nil {
		s.t.Fatal("testkit: Kill on a server that is not running")
	}
	s.stop()
}

// Restart starts a killed server again on the same port, empty.
func (s *Redis) Restart() {
	s.t.Helper()
	if s.proc != nil {
		s.t.Fatal("testkit: Restart on a server that is running; Kill it first")
	}
	if err := s.start(); err != nil {
		s.t.Fatalf("testkit: restart on port %d: %v\n%s", s.port, err, s.out.String())
	}
}

// Pause freezes the server (SIGSTOP): connections are still accepted by
// the kernel but nothing is answered, like a hung or partitioned Redis.
func (s *Redis) Pause() { s.signal(syscall.SIGSTOP) }

// Resume undoes Pause.
func (s *Redis) Resume() { s.signal(syscall.SIGCONT) }

func (s *Redis) signal(sig os.Signal) {
	s.t.Helper()
	if s.proc == nil {
		s.t.Fatalf("testkit: %v sent to a server that is not running", sig)
	}
	if err := s.proc.cmd.Process.Signal(sig); err != nil {
		s.t.Fatalf("testkit: signal %v: %v", sig, err)
	}
}

// start launches the binary on s.port and waits until it answers PING.
func (s *Redis) start() error {
	cmd := exec.Command(s.path,
		"--port", strconv.Itoa(s.port),
		"--bind", "127.0.0.1",
		// No persistence: every start is empty and nothing is written
		// outside the temporary directory.
		"--save", "",
		"--appendonly", "no",
		"--dir", s.dir,
		"--daemonize", "no",
		"--loglevel", "warning",
	)
	cmd.Stdout, cmd.Stderr = s.out, s.out
	if err := cmd.Start(); err != nil {
		return err
	}
	p := &process{cmd: cmd, exited: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(p.exited)
	}()
	s.proc = p
	deadline := time.Now().Add(redisReadyTimeout)
	for {
		if pingRedis(s.Addr()) == nil {
			return nil
		}
		select {
		case <-p.exited:
			s.proc = nil
			return fmt.Errorf("redis-server exited during start-up (%v)", cmd.ProcessState)
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.stop()
			return fmt.Errorf("no answer to PING within %v", redisReadyTimeout)
		}
	}
}

// stop kills the process, if any, and waits until it is gone, so its port
// is free again.
func (s *Redis) stop() {
	if s.proc == nil {
		return
	}
	// SIGKILL also ends a paused (SIGSTOPped) process.
	_ = s.proc.cmd.Process.Kill()
	<-s.proc.exited
	s.proc = nil
}

// pingRedis speaks just enough RESP to see whether the server is up.
func pingRedis(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(time.Second)); err != nil {
		return err
	}
	if _, err := c.Write([]byte("*1\r\n$4\r\nPING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if line != "+PONG\r\n" {
		// Still loading, or another service on the port.
		return errors.New("unexpected PING answer")
	}
	return nil
}

// freePort asks the kernel for an unused loopback port.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
