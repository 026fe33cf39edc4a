// Package app wires vaultgate together: configuration, logger, listeners and
// the lifecycle from start-up to a drained shutdown.
package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vaultgate/vaultgate/internal/config"
	"github.com/vaultgate/vaultgate/internal/redisstate"
)

// Version and Commit identify the build. The build stamps them with
// -ldflags "-X github.com/vaultgate/vaultgate/internal/app.Version=… -X …Commit=…",
// which works only on package-level string variables initialised by a
// literal; plain `go run` builds keep "dev" and "unknown".
var (
	Version = "dev"
	Commit  = "unknown"
)

// Run is the whole program. args excludes the program name; configuration
// comes from the process environment.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "healthcheck" {
		return healthcheck(ctx, config.AdminAddrFromEnv())
	}
	fs := flag.NewFlagSet("vaultgate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	demo := fs.Bool("demo", false, "serve a self-contained demo: simulated Apideck, demo sign-in, no variables needed")
	check := fs.Bool("check", false, "validate the configuration and exit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (try -h)", fs.Arg(0))
	}
	if *demo {
		return runDemo(ctx, stdout, stderr, *check)
	}
	cfg, err := config.Load()
	if err != nil {
		return configError(err)
	}
	if *check {
		fmt.Fprintln(stdout, "configuration OK")
		return nil
	}
	log := newLogger(stdout, cfg.LogLevel, cfg.LogFormat)
	// go-redis logs through a package-level logger; route it into ours once
	// per process.
	redis.SetLogger(redisstate.NewLogger(log))
	return Serve(ctx, cfg, log, Options{})
}

// configError presents every configuration problem, one per line.
func configError(err error) error {
	return errors.New("invalid configuration:\n  " + strings.ReplaceAll(err.Error(), "\n", "\n  "))
}

// healthcheck probes the admin /healthz, for container health checks in
// images without a shell or curl.
func healthcheck(ctx context.Context, adminAddr string) error {
	host, port, err := net.SplitHostPort(adminAddr)
	if err != nil {
		return fmt.Errorf("ADMIN_ADDR: %w", err)
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(host, port)+"/healthz", nil)
	if err != nil {
		return err
	}
	res, err := (&http.Client{}).Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 4096))
	if res.StatusCode != http.StatusOK {
		return errors.New("healthcheck: " + res.Status)
	}
	return nil
}
