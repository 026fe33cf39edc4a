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

// Goals vaultgate is held to: no more CPU per request than the bare
// program, at least its throughput, bounded memory, and under a
// latency-bound load nearly the throughput and latency of the mock itself.
const (
	maxCPURatio     = 1.00 // vaultgate ÷ bare, CPU per request
	minRPSRatio     = 1.00 // vaultgate ÷ bare, throughput
	maxPeakRSS      = 40 << 20
	peakRSSConns    = 32   // the connections the peak RSS goal is stated for
	minSlowRPSRatio = 0.95 // vaultgate ÷ direct, latency-bound
	maxSlowAddedP99 = 10 * time.Millisecond
	// Growth tolerated between the first and the last latency-bound run: a
	// few runtime goroutines (timers, GC workers) and allocator noise.
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
	r.Fast.writeMarkdown(w)
	if r.Slow != nil {
		r.Slow.writeMarkdown(w)
	}
}

func (f fastReport) writeMarkdown(w io.Writer) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format+"\n", a...) }
	p("#### Zero-latency upstream")
	p("")
	p("| run | target | req/s | p50 | p99 | max | errors | CPU/request | upstream calls/answer |")
	p("|---|---|--:|--:|--:|--:|--:|--:|--:|")
	byTarget := func(phase func(fastRun) map[string]result, name string) []result {
		var rs []result
		for _, run := range f.Runs {
			rs = append(rs, phase(run)[name])
		}
		return rs
	}
	sat := func(run fastRun) map[string]result { return run.Saturating }
	pac := func(run fastRun) map[string]result { return run.Paced }
	var orders []string
	errs := 0
	for i, run := range f.Runs {
		orders = append(orders, fmt.Sprintf("run %d: %s", i+1, strings.Join(run.Order, " → ")))
		for _, phase := range []struct {
			label string
			rs    map[string]result
		}{{"saturating", run.Saturating}, {"paced", run.Paced}} {
			for _, name := range fastTargets() {
				res := phase.rs[name]
				errs += res.Errors
				p("%s", row(fmt.Sprint(i+1), name+", "+phase.label, res, name == targetVaultgate))
			}
		}
	}
	for _, phase := range []struct {
		label string
		pick  func(fastRun) map[string]result
	}{{"saturating", sat}, {"paced", pac}} {
		for _, name := range fastTargets() {
			p("%s", row("median", name+", "+phase.label, medianResult(byTarget(phase.pick, name)), name == targetVaultgate))
		}
	}
	p("")
	p("Order of the targets: %s.", strings.Join(orders, "; "))
	p("")
	p("Saturating: every connection sends its next request as soon as the last is answered (throughput;")
	p("latency there is connections ÷ throughput by Little's law). Paced: a fixed rate")
	p("spread over the same connections, latency counted from when each request was due. CPU/request is the")
	p("target process's own user+system time (the mock's, for the mock direct). Upstream calls/answer counts")
	p("vaultgate's successful upstream calls (from its /metrics) per answer: 1.00 means nothing was shared or reused.")
	p("")

	p("| run | CPU/request, vaultgate ÷ bare | req/s, vaultgate ÷ bare | req/s, vaultgate ÷ lean mock direct |")
	p("|---|--:|--:|--:|")
	var cpuR, rpsR, ceilR []float64
	for i, run := range f.Runs {
		vg, bare, direct := run.Saturating[targetVaultgate], run.Saturating[targetBare], run.Saturating[targetDirect]
		cpuR = append(cpuR, ratio(float64(vg.CPUPerReq), float64(bare.CPUPerReq)))
		rpsR = append(rpsR, ratio(vg.RPS, bare.RPS))
		ceilR = append(ceilR, ratio(vg.RPS, direct.RPS))
		p("| %d | %.2f | %.2f | %.2f |", i+1, cpuR[i], rpsR[i], ceilR[i])
	}
	mCPU, mRPS := median(cpuR), median(rpsR)
	p("| median | %.2f | %.2f | %.2f |", mCPU, mRPS, median(ceilR))
	p("")

	p("| process | idle RSS (anonymous + file-backed) | peak RSS | RSS settled after the load |")
	p("|---|--:|--:|--:|")
	for _, name := range fastTargets() {
		m := f.Memory[name]
		label := name
		if name == targetDirect {
			label = "lean mock (upstream of all three)"
		}
		p("| %s | %s (%s + %s) | %s | %s |", label, mib(m.Idle.RSS), mib(m.Idle.Anon), mib(m.Idle.File), mib(m.Peak), mib(m.After))
	}
	p("")

	var answers, calls int
	for _, rs := range [][]result{byTarget(sat, targetVaultgate), byTarget(pac, targetVaultgate)} {
		for _, res := range rs {
			answers, calls = answers+res.answers(), calls+res.UpstreamCalls
		}
	}
	perAnswer := ratio(float64(calls), float64(answers))
	peak := f.Memory[targetVaultgate].Peak
	p("| goal | value | met |")
	p("|---|--:|---|")
	p("| vaultgate CPU per request ≤ bare (median of per-run ratios ≤ %.2f) | %.2f× | %s |", maxCPURatio, mCPU, met(mCPU <= maxCPURatio))
	p("| vaultgate throughput ≥ bare (median of per-run ratios ≥ %.2f) | %.2f× | %s |", minRPSRatio, mRPS, met(mRPS >= minRPSRatio))
	p("| vaultgate peak RSS ≤ %s at %d connections | %s at %d | %s |", mib(maxPeakRSS), peakRSSConns, mib(peak), f.connections(), met(peak <= maxPeakRSS))
	p("| no errors, every run of every target | %d | %s |", errs, met(errs == 0))
	p("| vaultgate upstream calls per answer = 1.00 | %.2f | %s |", perAnswer, met(fmt.Sprintf("%.2f", perAnswer) == "1.00"))
}

// connections is the zero-latency scenario's connection count.
func (f fastReport) connections() int {
	for _, run := range f.Runs {
		return run.Saturating[targetVaultgate].Conns
	}
	return 0
}

func row(run, name string, r result, upstream bool) string {
	calls := ""
	if upstream && r.answers() > 0 {
		calls = fmt.Sprintf("%.2f", float64(r.UpstreamCalls)/float64(r.answers()))
	}
	return fmt.Sprintf("| %s | %s | %.0f | %s | %s | %s | %d | %s | %s |",
		run, name, r.RPS, ms(r.P50), ms(r.P99), ms(r.Max), r.Errors, us(r.CPUPerReq), calls)
}

func (s slowReport) writeMarkdown(w io.Writer) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format+"\n", a...) }
	p("")
	p("#### Latency-bound upstream, %d connections, consecutive runs on one vaultgate process", s.Conns)
	p("")
	p("| run | target | req/s | p50 | p99 | max | errors | CPU/request | vaultgate goroutines after | RSS after | peak RSS |")
	p("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
	p("| start-up (idle) | vaultgate | | | | | | | %d | %s | %s |", s.Before.Goroutines, mib(s.Before.RSS), mib(s.Before.HWM))
	var rpsR []float64
	var added []time.Duration
	errs := 0
	for i, run := range s.Runs {
		for _, r := range []result{run.Vaultgate, run.Direct} {
			errs += r.Errors
			tail := "| | |"
			if r.Name == targetVaultgate {
				tail = fmt.Sprintf("%d | %s | %s |", run.After.Goroutines, mib(run.After.RSS), mib(run.After.HWM))
			}
			p("| %d | %s | %.0f | %s | %s | %s | %d | %s | %s", i+1, r.Name, r.RPS, ms(r.P50), ms(r.P99), ms(r.Max), r.Errors, us(r.CPUPerReq), tail)
		}
		rpsR = append(rpsR, ratio(run.Vaultgate.RPS, run.Direct.RPS))
		added = append(added, run.Vaultgate.P99-run.Direct.P99)
	}
	if len(s.Runs) == 0 {
		return
	}
	first, last := s.Runs[0].After, s.Runs[len(s.Runs)-1].After
	dg, dr := last.Goroutines-first.Goroutines, last.RSS-first.RSS
	mRPS, mAdd := median(rpsR), median(added)
	var orders []string
	for i, run := range s.Runs {
		orders = append(orders, fmt.Sprintf("run %d: %s", i+1, strings.Join(run.Order, " → ")))
	}
	p("")
	p("Order: %s.", strings.Join(orders, "; "))
	p("")
	p("| goal | value | met |")
	p("|---|--:|---|")
	p("| throughput ≥ %.2f× the mock direct (median of per-run ratios) | %.2f× | %s |", minSlowRPSRatio, mRPS, met(mRPS >= minSlowRPSRatio))
	p("| p99 ≤ the mock direct's + %s (median of per-run differences) | %+.2f ms | %s |", ms(maxSlowAddedP99), float64(mAdd)/float64(time.Millisecond), met(mAdd <= maxSlowAddedP99))
	p("| no growth from run 1 to run %d: goroutines ≤ +%d, RSS ≤ +%s | %+d, %+.1f MiB | %s |", len(s.Runs), maxGoroutineGrowth, mib(maxRSSGrowth),
		dg, float64(dr)/(1<<20), met(dg <= maxGoroutineGrowth && dr <= maxRSSGrowth))
	p("| no errors | %d | %s |", errs, met(errs == 0))
}

// ratio is a ÷ b, 0 when b is.
func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
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
		out.UpstreamCalls += r.UpstreamCalls
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
