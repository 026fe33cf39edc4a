package main

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"time"
)

// options are the load tool's settings (flags).
type options struct {
	server, sim string // binaries
	users       int
	conns       int
	duration    time.Duration
	warmup      time.Duration
	runs        int
	rate        float64 // requests per second of the paced runs
	slowConns   int
	slowLatency time.Duration
	slowRuns    int
	slowDur     time.Duration
	settle      time.Duration
	skipSlow    bool
	profileDir  string // non-empty: CPU and heap profiles of the first vaultgate run
}

// pair is one run of the zero-latency comparison: vaultgate, then the
// simulator directly, back to back so both see the same machine; first as
// fast as they answer (throughput), then at a fixed rate (latency).
type pair struct {
	Vaultgate      result `json:"vaultgate"`
	Ceiling        result `json:"ceiling"`
	PacedVaultgate result `json:"paced_vaultgate"`
	PacedCeiling   result `json:"paced_ceiling"`
}

// fastReport is the zero-latency scenario.
type fastReport struct {
	Runs       []pair `json:"runs"`
	IdleRSS    int64  `json:"idle_rss_bytes"`       // after start-up, before any load
	IdleAnon   int64  `json:"idle_rss_anon_bytes"`  // its anonymous part
	IdleFile   int64  `json:"idle_rss_file_bytes"`  // its file-backed part
	PeakRSS    int64  `json:"peak_rss_bytes"`       // VmHWM after every run
	AfterRSS   int64  `json:"after_load_rss_bytes"` // settled after the last run
	Goroutines int    `json:"goroutines_after"`
}

// slowSample is vaultgate's state before the first slow run or after one.
type slowSample struct {
	Goroutines int   `json:"goroutines"`
	RSS        int64 `json:"rss_bytes"`
	HWM        int64 `json:"hwm_bytes"`
}

// slowReport is the slow-upstream scenario: consecutive runs on one process.
type slowReport struct {
	Before slowSample   `json:"before"`
	Runs   []result     `json:"runs"`
	After  []slowSample `json:"after"`
}

// fastScenario measures vaultgate and the simulator ceiling, o.runs times,
// against a simulator that answers at once.
func fastScenario(ctx context.Context, o options, dir string, users []user, obs *observer) (fastReport, error) {
	sim, simURL, err := startSimulator(ctx, dir, "sim-fast", o.sim, 0)
	if err != nil {
		return fastReport{}, err
	}
	defer sim.stop()
	vg, err := startVaultgate(ctx, dir, "vaultgate-fast", o.server, simURL, o.profileDir != "")
	if err != nil {
		return fastReport{}, err
	}
	defer vg.stop()

	var rep fastReport
	time.Sleep(o.settle)
	idle, err := memoryOf(vg.pid())
	if err != nil {
		return rep, err
	}
	rep.IdleRSS, rep.IdleAnon, rep.IdleFile = idle.RSS, idle.Anon, idle.File

	vgClient, simClient := newLoadClient(o.conns), newLoadClient(o.conns)
	defer vgClient.CloseIdleConnections()
	defer simClient.CloseIdleConnections()
	vgTarget, simTarget := connectTarget(vg.public, users), simulatorTarget(simURL, users)
	for i := range o.runs {
		var p pair
		vgRun := func(load loadFunc, profile bool) (result, error) {
			return measure(ctx, o, vgClient, vgTarget, load, vg.pid(), obs, vg.admin, profile)
		}
		simRun := func(load loadFunc) (result, error) {
			return measure(ctx, o, simClient, simTarget, load, sim.pid(), obs, "", false)
		}
		if p.Vaultgate, err = vgRun(saturate, i == 0 && o.profileDir != ""); err != nil {
			return rep, err
		}
		if p.Ceiling, err = simRun(saturate); err != nil {
			return rep, err
		}
		if p.PacedVaultgate, err = vgRun(paced, false); err != nil {
			return rep, err
		}
		if p.PacedCeiling, err = simRun(paced); err != nil {
			return rep, err
		}
		rep.Runs = append(rep.Runs, p)
	}
	mem, err := memoryOf(vg.pid())
	if err != nil {
		return rep, err
	}
	rep.PeakRSS = mem.HWM
	vgClient.CloseIdleConnections()
	time.Sleep(o.settle)
	if mem, err = memoryOf(vg.pid()); err != nil {
		return rep, err
	}
	rep.AfterRSS = mem.RSS
	g, err := obs.metric(ctx, vg.admin, "go_goroutines", "")
	rep.Goroutines = int(g)
	return rep, err
}

// loadFunc is one way of driving a target for the measured time.
type loadFunc func(ctx context.Context, o options, client *http.Client, t target) result

// saturate keeps every connection busy: the throughput measurement.
func saturate(ctx context.Context, o options, client *http.Client, t target) result {
	return runLoad(ctx, client, t, o.conns, o.duration)
}

// paced offers o.rate requests per second: the latency measurement.
func paced(ctx context.Context, o options, client *http.Client, t target) result {
	return runPaced(ctx, client, t, o.conns, o.rate, o.duration)
}

// measure warms the connections up, runs load and adds the CPU the
// process pid spent per measured request. With admin set (vaultgate) it
// also counts upstream calls, and with profile it saves pprof profiles of
// the measured time.
func measure(ctx context.Context, o options, client *http.Client, t target, load loadFunc, pid int, obs *observer, admin string, profile bool) (result, error) {
	if o.warmup > 0 {
		runLoad(ctx, client, t, o.conns, o.warmup)
	}
	up0, err := upstreamCalls(ctx, obs, admin)
	if err != nil {
		return result{}, err
	}
	cpu0, err := obs.cpuOf(pid)
	if err != nil {
		return result{}, err
	}
	profDone := make(chan error, 1)
	if profile {
		secs := strconv.Itoa(max(1, int(o.duration.Seconds())))
		go func() {
			profDone <- obs.fetchProfile(ctx, admin, "/debug/pprof/profile?seconds="+secs, filepath.Join(o.profileDir, "vaultgate-cpu.pprof"))
		}()
	}
	r := load(ctx, o, client, t)
	cpu1, err := obs.cpuOf(pid)
	if err != nil {
		return result{}, err
	}
	if r.Requests > 0 {
		r.CPUPerReq = (cpu1 - cpu0) / time.Duration(r.Requests)
	}
	up1, err := upstreamCalls(ctx, obs, admin)
	if err != nil {
		return result{}, err
	}
	r.UpstreamN = up1 - up0
	if profile {
		if err := <-profDone; err != nil {
			return r, fmt.Errorf("cpu profile: %w", err)
		}
		if err := obs.fetchProfile(ctx, admin, "/debug/pprof/allocs", filepath.Join(o.profileDir, "vaultgate-allocs.pprof")); err != nil {
			return r, fmt.Errorf("allocs profile: %w", err)
		}
	}
	return r, nil
}

// upstreamCalls is vaultgate's count of successful upstream calls so far
// (0 without admin).
func upstreamCalls(ctx context.Context, obs *observer, admin string) (int, error) {
	if admin == "" {
		return 0, nil
	}
	v, err := obs.metric(ctx, admin, "vaultgate_upstream_requests_total", `outcome="success"`)
	return int(v), err
}

// slowScenario runs the slow-upstream load o.slowRuns times on one
// vaultgate process, sampling goroutines and memory before and after each.
func slowScenario(ctx context.Context, o options, dir string, users []user, obs *observer) (slowReport, error) {
	sim, simURL, err := startSimulator(ctx, dir, "sim-slow", o.sim, o.slowLatency)
	if err != nil {
		return slowReport{}, err
	}
	defer sim.stop()
	vg, err := startVaultgate(ctx, dir, "vaultgate-slow", o.server, simURL, o.profileDir != "")
	if err != nil {
		return slowReport{}, err
	}
	defer vg.stop()

	var rep slowReport
	time.Sleep(o.settle)
	if rep.Before, err = sample(ctx, obs, vg); err != nil {
		return rep, err
	}
	t := connectTarget(vg.public, users)
	for i := range o.slowRuns {
		client := newLoadClient(o.slowConns)
		r := runLoad(ctx, client, t, o.slowConns, o.slowDur)
		// The load's connections go away between runs, as clients do;
		// what vaultgate still holds afterwards is what a leak would show.
		client.CloseIdleConnections()
		rep.Runs = append(rep.Runs, r)
		time.Sleep(o.settle)
		s, err := sample(ctx, obs, vg)
		if err != nil {
			return rep, err
		}
		rep.After = append(rep.After, s)
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

func sample(ctx context.Context, obs *observer, vg *vaultgate) (slowSample, error) {
	g, err := obs.metric(ctx, vg.admin, "go_goroutines", "")
	if err != nil {
		return slowSample{}, err
	}
	m, err := memoryOf(vg.pid())
	if err != nil {
		return slowSample{}, err
	}
	return slowSample{Goroutines: int(g), RSS: m.RSS, HWM: m.HWM}, nil
}
