// Command loadgen is vaultgate's load benchmark. It starts a lean mock of
// Apideck (bench/cmd/leanmock), vaultgate and the bare reference program
// (bench/cmd/bare) as separate processes on 127.0.0.1, both using the
// mock as upstream, and drives three targets with the same users' HS256
// tokens, connections and request mix: vaultgate's GET /connect, the bare
// program's, and the mock directly (the ceiling), rotating their order
// run by run. It reports throughput, latency, errors, memory, CPU per
// request and the ratios between the targets as Markdown tables. A second,
// latency-bound scenario (the mock answering after a delay) compares
// vaultgate with the mock directly over consecutive runs on one process,
// and reports goroutines and memory after each run. Every request goes to
// loopback; every run is bounded in time, and the whole invocation by
// -timeout.
//
//	go build -o /tmp/vaultgate ./cmd/server
//	go build -o /tmp/bare ./bench/cmd/bare
//	go build -o /tmp/leanmock ./bench/cmd/leanmock
//	go run ./bench/cmd/loadgen -server /tmp/vaultgate -bare /tmp/bare -mock /tmp/leanmock
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
	fs.StringVar(&o.bare, "bare", "", "bare reference binary (built from ./bench/cmd/bare) (required)")
	fs.StringVar(&o.mock, "mock", "", "lean Apideck mock binary (built from ./bench/cmd/leanmock) (required)")
	fs.IntVar(&o.users, "users", 2000, "distinct users (tokens) the requests cycle through")
	fs.IntVar(&o.conns, "conns", 32, "connections (and workers) of the zero-latency scenario")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "measured time per zero-latency run and target")
	fs.DurationVar(&o.warmup, "warmup", 2*time.Second, "unmeasured load before each measured run")
	fs.IntVar(&o.runs, "runs", 3, "zero-latency runs (the report gives each and the medians)")
	fs.Float64Var(&o.rate, "rate", 1000, "requests per second of the paced (latency) runs, spread over -conns connections")
	fs.IntVar(&o.slowConns, "slow-conns", 64, "connections of the latency-bound scenario")
	fs.DurationVar(&o.slowLatency, "slow-latency", 50*time.Millisecond, "mock latency of the latency-bound scenario")
	fs.IntVar(&o.slowRuns, "slow-runs", 3, "consecutive latency-bound runs (on one vaultgate process)")
	fs.DurationVar(&o.slowDur, "slow-duration", 10*time.Second, "time per latency-bound run and target")
	fs.DurationVar(&o.settle, "settle", 2*time.Second, "quiet time before idle and after-run samples")
	fs.BoolVar(&o.skipSlow, "skip-slow", false, "run only the zero-latency scenario")
	fs.StringVar(&o.profileDir, "profile-dir", "", "save vaultgate CPU and allocation profiles of the first run here (enables ADMIN_PPROF)")
	jsonOut := fs.String("json", "", "also write the raw report as JSON to this file")
	timeout := fs.Duration("timeout", 15*time.Minute, "upper bound for the whole invocation")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.server == "" || o.bare == "" || o.mock == "" {
		return errors.New("-server, -bare and -mock are required")
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
			return fmt.Errorf("latency-bound scenario: %w", err)
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
	s := fmt.Sprintf("%d users (HS256 tokens); zero-latency mock: %d connections, %d runs, each target %s saturating and %s at %.0f req/s after %s warm-up",
		o.users, o.conns, o.runs, o.duration, o.duration, o.rate, o.warmup)
	if !o.skipSlow {
		s += fmt.Sprintf("; latency-bound: mock latency %s, %d connections, %d consecutive runs of %s per target",
			o.slowLatency, o.slowConns, o.slowRuns, o.slowDur)
	}
	return s
}
