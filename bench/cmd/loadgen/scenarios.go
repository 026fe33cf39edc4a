package main

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"time"
)

// options are the load tool's settings (flags).
type options struct {
	server, bare, mock string // binaries
	users              int
	conns              int
	duration           time.Duration
	warmup             time.Duration
	runs               int
	rate               float64 // requests per second of the paced runs
	slowConns          int
	slowLatency        time.Duration
	slowRuns           int
	slowDur            time.Duration
	settle             time.Duration
	skipSlow           bool
	profileDir         string // non-empty: CPU and heap profiles of the first vaultgate run
}

// The targets, as named in reports: vaultgate, the bare reference program,
// and the lean mock answering directly (the ceiling).
const (
	targetVaultgate = "vaultgate"
	targetBare      = "bare"
	targetDirect    = "lean mock direct"
)

// fastTargets is the zero-latency scenario's targets in the order of run
// 1; each later run rotates it by one.
func fastTargets() []string { return []string{targetVaultgate, targetBare, targetDirect} }

// fastRun is one run of the zero-latency comparison: every target as fast
// as it answers (throughput), then every target at a fixed rate (latency),
// both in Order.
type fastRun struct {
	Order      []string          `json:"order"`
	Saturating map[string]result `json:"saturating"`
	Paced      map[string]result `json:"paced"`
}

// procMemory is one process's resident set over the zero-latency scenario.
type procMemory struct {
	Idle  memory `json:"idle"`            // after start-up, before any load
	Peak  int64  `json:"peak_rss_bytes"`  // VmHWM after every run
	After int64  `json:"after_rss_bytes"` // settled after the last run
}

// fastReport is the zero-latency scenario.
type fastReport struct {
	Runs       []fastRun             `json:"runs"`
	Memory     map[string]procMemory `json:"memory"` // by target; the mock's serves all three
	Goroutines int                   `json:"vaultgate_goroutines_after"`
}

// slowRun is one run of the latency-bound scenario: vaultgate and the mock
// directly, in Order, then vaultgate's state once the load has gone.
type slowRun struct {
	Order     []string   `json:"order"`
	Vaultgate result     `json:"vaultgate"`
	Direct    result     `json:"direct"`
	After     slowSample `json:"vaultgate_after"`
}

// slowSample is vaultgate's state before the first slow run or after one.
type slowSample struct {
	Goroutines int   `json:"goroutines"`
	RSS        int64 `json:"rss_bytes"`
	HWM        int64 `json:"hwm_bytes"`
}

// slowReport is the latency-bound scenario: consecutive runs on one
// vaultgate process, which is also the leak check.
type slowReport struct {
	Conns  int        `json:"conns"`
	Before slowSample `json:"before"`
	Runs   []slowRun  `json:"runs"`
}

// measured is a target with the process whose CPU it costs.
type measured struct {
	t     target
	proc  *server
	admin string // vaultgate's, to count upstream calls; else empty
}

// fastScenario measures vaultgate, the bare program and the mock directly,
// o.runs times, against a mock that answers at once.
func fastScenario(ctx context.Context, o options, dir string, users []user, obs *observer) (fastReport, error) {
	mock, err := startMock(ctx, dir, "mock-fast", o.mock, 0)
	if err != nil {
		return fastReport{}, err
	}
	defer mock.stop()
	vg, err := startVaultgate(ctx, dir, "vaultgate-fast", o.server, mock.public, o.profileDir != "")
	if err != nil {
		return fastReport{}, err
	}
	defer vg.stop()
	bare, err := startBare(ctx, dir, "bare-fast", o.bare, mock.public)
	if err != nil {
		return fastReport{}, err
	}
	defer bare.stop()

	rep := fastReport{Memory: map[string]procMemory{}}
	targets := map[string]measured{
		targetVaultgate: {connectTarget(targetVaultgate, vg.public, users), vg, vg.admin},
		targetBare:      {connectTarget(targetBare, bare.public, users), bare, ""},
		targetDirect:    {directTarget(mock.public, users), mock, ""},
	}
	time.Sleep(o.settle)
	for name, m := range targets {
		idle, err := memoryOf(m.proc.pid())
		if err != nil {
			return rep, err
		}
		rep.Memory[name] = procMemory{Idle: idle}
	}
	clients := map[string]*http.Client{}
	for name := range targets {
		clients[name] = newLoadClient(o.conns)
		defer clients[name].CloseIdleConnections()
	}
	for i := range o.runs {
		order := fastTargets()
		k := i % len(order)
		order = append(order[k:], order[:k]...)
		run := fastRun{Order: order, Saturating: map[string]result{}, Paced: map[string]result{}}
		for _, phase := range []struct {
			load       loadFunc
			into       map[string]result
			saturating bool
		}{{saturate, run.Saturating, true}, {paced, run.Paced, false}} {
			for _, name := range order {
				profile := o.profileDir != "" && i == 0 && phase.saturating && name == targetVaultgate
				r, err := measure(ctx, o, o.warmup, clients[name], targets[name], phase.load, obs, profile)
				if err != nil {
					return rep, err
				}
				phase.into[name] = r
			}
		}
		rep.Runs = append(rep.Runs, run)
	}
	for name, m := range targets {
		mem, err := memoryOf(m.proc.pid())
		if err != nil {
			return rep, err
		}
		pm := rep.Memory[name]
		pm.Peak = mem.HWM
		rep.Memory[name] = pm
		clients[name].CloseIdleConnections()
	}
	time.Sleep(o.settle)
	for name, m := range targets {
		mem, err := memoryOf(m.proc.pid())
		if err != nil {
			return rep, err
		}
		pm := rep.Memory[name]
		pm.After = mem.RSS
		rep.Memory[name] = pm
	}
	g, err := obs.metrics(ctx, vg.admin, series{name: "go_goroutines"})
	if err != nil {
		return rep, err
	}
	rep.Goroutines = int(g[0])
	return rep, nil
}

// slowScenario is the latency-bound load: o.slowRuns consecutive runs of
// vaultgate on one process and of the mock directly, alternating which
// goes first, with vaultgate's goroutines and memory sampled after each.
func slowScenario(ctx context.Context, o options, dir string, users []user, obs *observer) (slowReport, error) {
	mock, err := startMock(ctx, dir, "mock-slow", o.mock, o.slowLatency)
	if err != nil {
		return slowReport{}, err
	}
	defer mock.stop()
	vg, err := startVaultgate(ctx, dir, "vaultgate-slow", o.server, mock.public, o.profileDir != "")
	if err != nil {
		return slowReport{}, err
	}
	defer vg.stop()

	rep := slowReport{Conns: o.slowConns}
	time.Sleep(o.settle)
	if rep.Before, err = sample(ctx, obs, vg); err != nil {
		return rep, err
	}
	vgT := measured{connectTarget(targetVaultgate, vg.public, users), vg, vg.admin}
	directT := measured{directTarget(mock.public, users), mock, ""}
	for i := range o.slowRuns {
		run := slowRun{Order: []string{targetVaultgate, targetDirect}}
		if i%2 == 1 {
			slices.Reverse(run.Order)
		}
		for _, name := range run.Order {
			m, into := vgT, &run.Vaultgate
			if name == targetDirect {
				m, into = directT, &run.Direct
			}
			// Fresh connections each run, closed afterwards as clients do:
			// what vaultgate still holds then is what a leak would show.
			client := newLoadClient(o.slowConns)
			*into, err = measure(ctx, o, 0, client, m, slowLoad, obs, false)
			client.CloseIdleConnections()
			if err != nil {
				return rep, err
			}
		}
		time.Sleep(o.settle)
		if run.After, err = sample(ctx, obs, vg); err != nil {
			return rep, err
		}
		rep.Runs = append(rep.Runs, run)
		if o.profileDir != "" {
			// What is still running after a run: the place to look if
			// goroutines grow from run to run.
			file := filepath.Join(o.profileDir, fmt.Sprintf("vaultgate-slow-goroutines-after-run-%d.txt", i+1))
			if err := obs.fetchProfile(ctx, vg.admin, "/debug/pprof/goroutine?debug=1", file); err != nil {
				return rep, fmt.Errorf("goroutine profile: %w", err)
			}
		}
	}
	return rep, nil
}

func sample(ctx context.Context, obs *observer, vg *server) (slowSample, error) {
	g, err := obs.metrics(ctx, vg.admin, series{name: "go_goroutines"})
	if err != nil {
		return slowSample{}, err
	}
	m, err := memoryOf(vg.pid())
	if err != nil {
		return slowSample{}, err
	}
	return slowSample{Goroutines: int(g[0]), RSS: m.RSS, HWM: m.HWM}, nil
}
