package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"
)

// Targets the zero-latency scenario is held to.
const (
	minThroughputRatio = 0.25
	maxP99             = 5 * time.Millisecond
	maxAddedP99        = 3 * time.Millisecond
	maxPeakRSS         = 40 << 20
	maxIdleRSS         = 20 << 20
	// Growth tolerated between the first and the last slow run: a few
	// runtime goroutines (timers, GC workers) and allocator noise.
	maxGoroutineGrowth = 5
	maxRSSGrowth       = 4 << 20
)

// report is everything one invocation measured.
type report struct {
	Machine  machine     `json:"machine"`
	Settings string      `json:"settings"`
	Fast     fastReport  `json:"fast"`
	Slow     *slowReport `json:"slow,omitempty"`
	LoadEnd  string      `json:"loadavg_end"`
}

type machine struct {
	CPUs      int    `json:"cpus"`
	Model     string `json:"cpu_model"`
	Kernel    string `json:"kernel"`
	GoVersion string `json:"go_version"`
	LoadStart string `json:"loadavg_start"`
}

func describeMachine() machine {
	m := machine{CPUs: runtime.NumCPU(), GoVersion: runtime.Version(), LoadStart: loadavg()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if name, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(name) == "model name" {
				m.Model = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	return m
}

// loadavg is the 1, 5 and 15 minute load averages: other work on the
// machine shows here.
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// writeMarkdown renders the report as the tables of bench/RESULTS.md.
func (r report) writeMarkdown(w io.Writer) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format+"\n", a...) }
	p("Machine: %d CPUs, %s, Linux %s, %s. Load average at start %s, at end %s.",
		r.Machine.CPUs, r.Machine.Model, r.Machine.Kernel, r.Machine.GoVersion, r.Machine.LoadStart, r.LoadEnd)
	p("Settings: %s.", r.Settings)
	p("")
	p("#### Zero-latency upstream")
	p("")
	p("| run | target | req/s | p50 | p99 | max | errors | CPU/request | upstream calls/request |")
	p("|---|---|--:|--:|--:|--:|--:|--:|--:|")
	var vg, ceil, pvg, pceil []result
	for i, run := range r.Fast.Runs {
		vg, ceil = append(vg, run.Vaultgate), append(ceil, run.Ceiling)
		pvg, pceil = append(pvg, run.PacedVaultgate), append(pceil, run.PacedCeiling)
		p("%s", row(fmt.Sprint(i+1), "vaultgate, saturating", run.Vaultgate, true))
		p("%s", row(fmt.Sprint(i+1), "simulator direct (ceiling), saturating", run.Ceiling, false))
		p("%s", row(fmt.Sprint(i+1), "vaultgate, paced", run.PacedVaultgate, true))
		p("%s", row(fmt.Sprint(i+1), "simulator direct, paced", run.PacedCeiling, false))
	}
	mv, mc, mpv, mpc := medianResult(vg), medianResult(ceil), medianResult(pvg), medianResult(pceil)
	p("%s", row("median", "vaultgate, saturating", mv, true))
	p("%s", row("median", "simulator direct (ceiling), saturating", mc, false))
	p("%s", row("median", "vaultgate, paced", mpv, true))
	p("%s", row("median", "simulator direct, paced", mpc, false))
	p("")
	p("Saturating: every connection sends its next request as soon as the last is answered (throughput; latency there is")
	p("connections ÷ throughput by Little's law). Paced: a fixed rate spread over the same connections, latency counted from")
	p("when each request was due (latency at a load both sides sustain). CPU/request is the measured process's own")
	p("user+system time (vaultgate, or the simulator for the ceiling).")
	p("")
	ratios, added := make([]float64, len(r.Fast.Runs)), make([]time.Duration, len(r.Fast.Runs))
	errs := 0
	for i, run := range r.Fast.Runs {
		ratios[i] = run.Vaultgate.RPS / run.Ceiling.RPS
		added[i] = run.PacedVaultgate.P99 - run.PacedCeiling.P99
		errs += run.Vaultgate.Errors + run.Ceiling.Errors + run.PacedVaultgate.Errors + run.PacedCeiling.Errors
	}
	ratio, add := median(ratios), median(added)
	p("| measure | value | target | met |")
	p("|---|--:|--:|---|")
	p("| throughput, vaultgate / ceiling (median of per-run ratios) | %.0f%% | ≥ %.0f%% | %s |", ratio*100, minThroughputRatio*100, met(ratio >= minThroughputRatio))
	p("| errors, all runs | %d | 0 | %s |", errs, met(errs == 0))
	p("| p99, vaultgate, paced (median) | %s | ≤ %s | %s |", ms(mpv.P99), ms(maxP99), met(mpv.P99 <= maxP99))
	p("| p99 added over the simulator, paced (median of per-run differences) | %s | ≤ %s | %s |", ms(add), ms(maxAddedP99), met(add <= maxAddedP99))
	p("| p99, vaultgate, saturating (median) | %s | | |", ms(mv.P99))
	p("| peak RSS (VmHWM) | %s | ≤ %s | %s |", mib(r.Fast.PeakRSS), mib(maxPeakRSS), met(r.Fast.PeakRSS <= maxPeakRSS))
	p("| idle RSS after start-up (anonymous + file-backed) | %s (%s + %s) | ≤ %s | %s |", mib(r.Fast.IdleRSS),
		mib(r.Fast.IdleAnon), mib(r.Fast.IdleFile), mib(maxIdleRSS), met(r.Fast.IdleRSS <= maxIdleRSS))
	p("| RSS settled after the load | %s | | |", mib(r.Fast.AfterRSS))
	p("| vaultgate CPU per request, saturating (median) | %s | | |", us(mv.CPUPerReq))
	p("| simulator CPU per request, saturating (median) | %s | | |", us(mc.CPUPerReq))
	if r.Slow != nil {
		r.Slow.writeMarkdown(w)
	}
}

func row(run, name string, r result, upstream bool) string {
	calls := ""
	if upstream && r.Requests > 0 {
		calls = fmt.Sprintf("%.2f", float64(r.UpstreamN)/float64(r.Requests))
	}
	return fmt.Sprintf("| %s | %s | %.0f | %s | %s | %s | %d | %s | %s |",
		run, name, r.RPS, ms(r.P50), ms(r.P99), ms(r.Max), r.Errors, us(r.CPUPerReq), calls)
}

func (s slowReport) writeMarkdown(w io.Writer) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format+"\n", a...) }
	p("")
	p("#### Slow upstream, consecutive runs on one process")
	p("")
	p("| after | goroutines | RSS | peak RSS | req/s | p50 | p99 | max | errors |")
	p("|---|--:|--:|--:|--:|--:|--:|--:|--:|")
	p("| start-up (idle) | %d | %s | %s | | | | | |", s.Before.Goroutines, mib(s.Before.RSS), mib(s.Before.HWM))
	errs := 0
	for i, r := range s.Runs {
		a := s.After[i]
		errs += r.Errors
		p("| run %d | %d | %s | %s | %.0f | %s | %s | %s | %d |", i+1, a.Goroutines, mib(a.RSS), mib(a.HWM),
			r.RPS, ms(r.P50), ms(r.P99), ms(r.Max), r.Errors)
	}
	if len(s.After) == 0 {
		return
	}
	first, last := s.After[0], s.After[len(s.After)-1]
	dg, dr := last.Goroutines-first.Goroutines, last.RSS-first.RSS
	p("")
	p("Growth from run 1 to run %d: goroutines %+d (tolerance %d), RSS %+.1f MiB (tolerance %s); errors %d: %s.",
		len(s.After), dg, maxGoroutineGrowth, float64(dr)/(1<<20), mib(maxRSSGrowth), errs,
		met(dg <= maxGoroutineGrowth && dr <= maxRSSGrowth && errs == 0))
}

// medianResult takes each measure's median across runs separately.
func medianResult(rs []result) result {
	pick := func(f func(result) time.Duration) time.Duration {
		v := make([]time.Duration, len(rs))
		for i, r := range rs {
			v[i] = f(r)
		}
		return median(v)
	}
	rps := make([]float64, len(rs))
	var out result
	for i, r := range rs {
		rps[i] = r.RPS
		out.Requests += r.Requests
		out.UpstreamN += r.UpstreamN
		out.Errors += r.Errors
	}
	out.RPS = median(rps)
	out.P50 = pick(func(r result) time.Duration { return r.P50 })
	out.P99 = pick(func(r result) time.Duration { return r.P99 })
	out.Max = pick(func(r result) time.Duration { return r.Max })
	out.CPUPerReq = pick(func(r result) time.Duration { return r.CPUPerReq })
	return out
}

// median of a copy of v: the lower middle for an even count.
func median[T float64 | time.Duration](v []T) T {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return s[(len(s)-1)/2]
}

func met(ok bool) string {
	if ok {
		return "yes"
	}
	return "**no**"
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }
func us(d time.Duration) string { return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond)) }
func mib(b int64) string        { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
