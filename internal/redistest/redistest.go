// Package redistest runs a real redis-server for tests: on a free loopback
// port, without persistence, stopped when the test ends. Tests can kill it,
// freeze it and bring it back on the same port to see how code behaves when
// the shared store goes away.
package redistest

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

	"github.com/vaultgate/vaultgate/internal/syncbuf"
)

const (
	// binary is the Debian package's server; scripts/test.sh installs it.
	binary = "redis-server"
	// readyTimeout bounds how long a starting server may take to answer
	// PING; redis-server usually needs a few milliseconds.
	readyTimeout = 10 * time.Second
	// startAttempts retries when the port picked turned out to be taken
	// between choosing it and redis-server binding it.
	startAttempts = 5
)

// Server is one redis-server process. Its methods must be called from the
// test's goroutine.
type Server struct {
	t    testing.TB
	path string
	dir  string
	port int
	out  *syncBuffer
	proc *process
}

// process is one run of the binary; exited is closed once it is reaped.
type process struct {
	cmd    *exec.Cmd
	exited chan struct{}
}

// Start runs redis-server on a free 127.0.0.1 port and stops it in
// t.Cleanup. Without the binary the test is skipped, or fails when the CI
// environment variable is set, so CI never silently skips these tests.
func Start(t testing.TB) *Server {
	t.Helper()
	path, err := exec.LookPath(binary)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("redistest: %s not found on PATH (install the redis-server package): %v", binary, err)
		}
		t.Skipf("redistest: %s not found on PATH; install the redis-server package to run this test", binary)
	}
	s := &Server{t: t, path: path, dir: t.TempDir(), out: &syncBuffer{}}
	t.Cleanup(s.stop)
	var lastErr error
	for range startAttempts {
		s.port, err = freePort()
		if err != nil {
			t.Fatalf("redistest: %v", err)
		}
		if lastErr = s.start(); lastErr == nil {
			return s
		}
	}
	t.Fatalf("redistest: redis-server did not start: %v\n%s", lastErr, s.out.String())
	return nil
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

// URL is the server's redis:// URL, as REDIS_URL would carry it.
func (s *Server) URL() string { return "redis://" + s.Addr() + "/0" }

// Kill stops the server abruptly (SIGKILL), losing all data, as a crash
// would. Connections to it fail at once.
func (s *Server) Kill() {
	s.t.Helper()
	if s.proc == nil {
		s.t.Fatal("redistest: Kill on a server that is not running")
	}
	s.stop()
}

// Restart starts a killed server again on the same port, empty.
func (s *Server) Restart() {
	s.t.Helper()
	if s.proc != nil {
		s.t.Fatal("redistest: Restart on a server that is running; Kill it first")
	}
	if err := s.start(); err != nil {
		s.t.Fatalf("redistest: restart on port %d: %v\n%s", s.port, err, s.out.String())
	}
}

// Pause freezes the server (SIGSTOP): connections are still accepted by
// the kernel but nothing is answered, like a hung or partitioned Redis.
func (s *Server) Pause() { s.signal(syscall.SIGSTOP) }

// Resume undoes Pause.
func (s *Server) Resume() { s.signal(syscall.SIGCONT) }

func (s *Server) signal(sig os.Signal) {
	s.t.Helper()
	if s.proc == nil {
		s.t.Fatalf("redistest: %v sent to a server that is not running", sig)
	}
	if err := s.proc.cmd.Process.Signal(sig); err != nil {
		s.t.Fatalf("redistest: signal %v: %v", sig, err)
	}
}

// start launches the binary on s.port and waits until it answers PING.
func (s *Server) start() error {
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
	deadline := time.Now().Add(readyTimeout)
	for {
		if ping(s.Addr()) == nil {
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
			return fmt.Errorf("no answer to PING within %v", readyTimeout)
		}
	}
}

// stop kills the process, if any, and waits until it is gone, so its port
// is free again.
func (s *Server) stop() {
	if s.proc == nil {
		return
	}
	// SIGKILL also ends a paused (SIGSTOPped) process.
	_ = s.proc.cmd.Process.Kill()
	<-s.proc.exited
	s.proc = nil
}

// ping speaks just enough RESP to see whether the server is up.
func ping(addr string) error {
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

// syncBuffer is a goroutine-safe sink for logs and process output.
type syncBuffer = syncbuf.Buffer
