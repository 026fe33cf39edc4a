// Command loadgen is vaultgate's load benchmark. It starts the simulator
// (apideck-sim) and vaultgate as separate processes on 127.0.0.1, drives
// GET /connect with many users' HS256 tokens at a fixed number of
// connections, then drives the same load straight at the simulator as the
// ceiling, and reports throughput, latency, errors, memory and CPU per
// request as Markdown tables. A second scenario runs a slow upstream with
// many connections several times on one process and reports goroutines
// and memory after each run. Every request goes to loopback; every run is
// bounded in time, and the whole invocation by -timeout.
//
//	go build -o /tmp/vaultgate ./cmd/server
//	go build -o /tmp/apideck-sim ./cmd/apideck-sim
//	go run ./bench/cmd/loadgen -server /tmp/vaultgate -sim /tmp/apideck-sim
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o options
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.server, "server", "", "vaultgate binary (built from ./cmd/server) (required)")
	fs.StringVar(&o.sim, "sim", "", "apideck-sim binary (built from ./cmd/apideck-sim) (required)")
	fs.IntVar(&o.users, "users", 1000, "distinct users (tokens) the requests cycle through")
	fs.IntVar(&o.conns, "conns", 32, "connections (and workers) of the zero-latency scenario")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "measured time per zero-latency run and target")
	fs.DurationVar(&o.warmup, "warmup", 2*time.Second, "unmeasured load before each measured run")
	fs.IntVar(&o.runs, "runs", 3, "zero-latency runs (the report gives each and the medians)")
	fs.Float64Var(&o.rate, "rate", 1000, "requests per second of the paced (latency) runs, spread over -conns connections")
	fs.IntVar(&o.slowConns, "slow-conns", 256, "connections of the slow-upstream scenario")
	fs.DurationVar(&o.slowLatency, "slow-latency", 50*time.Millisecond, "simulator latency of the slow-upstream scenario")
	fs.IntVar(&o.slowRuns, "slow-runs", 3, "consecutive slow-upstream runs")
	fs.DurationVar(&o.slowDur, "slow-duration", 10*time.Second, "time per slow-upstream run")
	fs.DurationVar(&o.settle, "settle", 2*time.Second, "quiet time before idle and after-run samples")
	fs.BoolVar(&o.skipSlow, "skip-slow", false, "run only the zero-latency scenario")
	fs.StringVar(&o.profileDir, "profile-dir", "", "save vaultgate CPU and allocation profiles of the first run here (enables ADMIN_PPROF)")
	jsonOut := fs.String("json", "", "also write the raw report as JSON to this file")
	timeout := fs.Duration("timeout", 15*time.Minute, "upper bound for the whole invocation")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.server == "" || o.sim == "" {
		return errors.New("-server and -sim are required")
	}
	if o.users < 1 || o.rate <= 0 || o.conns < 1 || o.runs < 1 || o.slowConns < 1 || o.slowRuns < 1 || o.duration <= 0 || o.slowDur <= 0 {
		return errors.New("-users, -rate, -conns, -runs, -slow-conns, -slow-runs and the durations must be positive")
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()

	dir, err := os.MkdirTemp("", "vaultgate-loadgen-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	users, err := mintUsers(o.users, 2*time.Hour)
	if err != nil {
		return err
	}
	rep := report{Machine: describeMachine(), Settings: o.describe()}
	obs := newObserver()

	if rep.Fast, err = fastScenario(ctx, o, dir, users, obs); err != nil {
		return fmt.Errorf("zero-latency scenario: %w", err)
	}
	if !o.skipSlow {
		slow, err := slowScenario(ctx, o, dir, users, obs)
		if err != nil {
			return fmt.Errorf("slow-upstream scenario: %w", err)
		}
		rep.Slow = &slow
	}
	rep.LoadEnd = loadavg()
	rep.writeMarkdown(stdout)
	if *jsonOut != "" {
		b, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(*jsonOut, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func (o options) describe() string {
	s := fmt.Sprintf("%d users (HS256 tokens); zero-latency upstream: %d connections, %d runs, each %s saturating and %s at %.0f req/s after %s warm-up",
		o.users, o.conns, o.runs, o.duration, o.duration, o.rate, o.warmup)
	if !o.skipSlow {
		s += fmt.Sprintf("; slow upstream: %s latency, %d connections, %d consecutive runs of %s",
			o.slowLatency, o.slowConns, o.slowRuns, o.slowDur)
	}
	return s
}
