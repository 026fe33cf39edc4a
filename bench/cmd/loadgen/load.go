package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// target is what one load run sends: the nth request of a run is built by
// request(n), so every run walks through the same users in the same order.
type target struct {
	name    string
	request func(ctx context.Context, n int) (*http.Request, error)
	// okBody must occur in a 200 answer's body for it to count as a success.
	okBody []byte
}

// result is one measured run.
type result struct {
	Name          string        `json:"name"`
	Conns         int           `json:"conns"`
	Requests      int           `json:"requests"`
	Errors        int           `json:"errors"`
	Elapsed       time.Duration `json:"elapsed_ns"`
	RPS           float64       `json:"rps"`
	P50           time.Duration `json:"p50_ns"`
	P99           time.Duration `json:"p99_ns"`
	Max           time.Duration `json:"max_ns"`
	FirstErr      string        `json:"first_error,omitempty"`
	CPUPerReq     time.Duration `json:"cpu_per_request_ns,omitempty"` // of the measured process
	UpstreamCalls int           `json:"upstream_calls,omitempty"`     // vaultgate's successful ones in the run

}

// maxRequestsPerRun bounds memory for latencies whatever the duration.
const maxRequestsPerRun = 5_000_000

// newLoadClient is a keep-alive client with exactly conns connections, the
// way a fixed-concurrency load tool holds them.
func newLoadClient(conns int) *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			Proxy:               nil, // loopback only, never through a proxy
			MaxIdleConns:        conns,
			MaxIdleConnsPerHost: conns,
			MaxConnsPerHost:     conns,
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
		},
		Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// runLoad keeps conns workers busy with t for d. Requests started within
// d all finish and count (only the end of ctx cuts them off), so every
// answer the server made is measured and its own counters match ours. The
// client's connections stay open (warm) for the next run; the caller
// closes them.
func runLoad(ctx context.Context, client *http.Client, t target, conns int, d time.Duration) result {
	var (
		next     atomic.Int64
		errCount atomic.Int64
		firstErr atomic.Value
		wg       sync.WaitGroup
	)
	lats := make([][]time.Duration, conns)
	start := time.Now()
	deadline := start.Add(d)
	for w := range conns {
		wg.Go(func() {
			buf := make([]byte, 0, 4096)
			for ctx.Err() == nil && time.Now().Before(deadline) {
				n := int(next.Add(1)) - 1
				if n >= maxRequestsPerRun {
					return
				}
				t0 := time.Now()
				err := once(ctx, client, t, n, &buf)
				if ctx.Err() != nil {
					return // the whole invocation is ending: not measured
				}
				lats[w] = append(lats[w], time.Since(t0))
				if err != nil {
					errCount.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
				}
			}
		})
	}
	wg.Wait()
	return summarize(t.name, conns, lats, int(errCount.Load()), &firstErr, time.Since(start))
}

// runPaced offers t at a fixed rate (open loop) over conns connections for
// d. Latency counts from when each request was due, not from when a
// connection became free, so a server that falls behind shows its queue
// instead of hiding it by slowing the load down; requests due within d all
// finish and count, the queue included.
func runPaced(ctx context.Context, client *http.Client, t target, conns int, rate float64, d time.Duration) result {
	due := make(chan time.Time, 1024)
	var (
		errCount atomic.Int64
		firstErr atomic.Value
		wg       sync.WaitGroup
		next     atomic.Int64
	)
	lats := make([][]time.Duration, conns)
	start := time.Now()
	for w := range conns {
		wg.Go(func() {
			buf := make([]byte, 0, 4096)
			for at := range due {
				n := int(next.Add(1)) - 1
				err := once(ctx, client, t, n, &buf)
				if ctx.Err() != nil {
					continue // the whole invocation is ending: not measured
				}
				lats[w] = append(lats[w], time.Since(at))
				if err != nil {
					errCount.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
				}
			}
		})
	}
	scheduling, stop := context.WithTimeout(ctx, d)
	defer stop()
	interval := time.Duration(float64(time.Second) / rate)
schedule:
	for i := 0; i < maxRequestsPerRun; i++ {
		at := start.Add(time.Duration(i) * interval)
		if wait := time.Until(at); wait > 0 {
			select {
			case <-scheduling.Done():
				break schedule
			case <-time.After(wait):
			}
		}
		select {
		case <-scheduling.Done():
			break schedule
		case due <- at:
		}
	}
	close(due)
	wg.Wait()
	return summarize(t.name, conns, lats, int(errCount.Load()), &firstErr, time.Since(start))
}

// summarize sorts the latencies of a run and computes its figures.
func summarize(name string, conns int, lats [][]time.Duration, errs int, firstErr *atomic.Value, elapsed time.Duration) result {
	all := slices.Concat(lats...)
	slices.Sort(all)
	r := result{Name: name, Conns: conns, Requests: len(all), Errors: errs, Elapsed: elapsed}
	if s, ok := firstErr.Load().(string); ok {
		r.FirstErr = s
	}
	if len(all) > 0 {
		r.RPS = float64(len(all)) / elapsed.Seconds()
		r.P50, r.P99, r.Max = percentile(all, 0.50), percentile(all, 0.99), all[len(all)-1]
	}
	return r
}

// answers is the number of successful answers.
func (r result) answers() int { return r.Requests - r.Errors }

// once sends request n and reads the whole answer.
func once(ctx context.Context, client *http.Client, t target, n int, buf *[]byte) error {
	req, err := t.request(ctx, n)
	if err != nil {
		return err
	}
	res, err := client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b := bytes.NewBuffer((*buf)[:0])
	_, err = io.Copy(b, io.LimitReader(res.Body, 1<<20))
	*buf = b.Bytes()
	switch {
	case err != nil:
		return err
	case res.StatusCode != http.StatusOK:
		return fmt.Errorf("status %d: %.200s", res.StatusCode, *buf)
	case !bytes.Contains(*buf, t.okBody):
		return errors.New("200 without the expected body")
	}
	return nil
}

// percentile is the nearest-rank percentile of sorted values.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p*float64(len(sorted))+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
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

// slowLoad keeps o.slowConns connections busy for o.slowDur.
func slowLoad(ctx context.Context, o options, client *http.Client, t target) result {
	return runLoad(ctx, client, t, o.slowConns, o.slowDur)
}

// measure warms the connections up for warmup, runs load and adds the CPU
// the target's process spent per measured request. For vaultgate it also
// counts upstream calls, and with profile it saves pprof profiles of the
// measured time.
func measure(ctx context.Context, o options, warmup time.Duration, client *http.Client, m measured, load loadFunc, obs *observer, profile bool) (result, error) {
	if warmup > 0 {
		runLoad(ctx, client, m.t, o.conns, warmup)
	}
	calls0, err := upstreamCalls(ctx, obs, m.admin)
	if err != nil {
		return result{}, err
	}
	cpu0, err := obs.cpuOf(m.proc.pid())
	if err != nil {
		return result{}, err
	}
	profDone := make(chan error, 1)
	if profile {
		secs := strconv.Itoa(max(1, int(o.duration.Seconds())))
		go func() {
			profDone <- obs.fetchProfile(ctx, m.admin, "/debug/pprof/profile?seconds="+secs, filepath.Join(o.profileDir, "vaultgate-cpu.pprof"))
		}()
	}
	r := load(ctx, o, client, m.t)
	cpu1, err := obs.cpuOf(m.proc.pid())
	if err != nil {
		return result{}, err
	}
	if r.Requests > 0 {
		r.CPUPerReq = (cpu1 - cpu0) / time.Duration(r.Requests)
	}
	calls1, err := upstreamCalls(ctx, obs, m.admin)
	if err != nil {
		return result{}, err
	}
	r.UpstreamCalls = calls1 - calls0
	if profile {
		if err := <-profDone; err != nil {
			return r, fmt.Errorf("cpu profile: %w", err)
		}
		if err := obs.fetchProfile(ctx, m.admin, "/debug/pprof/allocs", filepath.Join(o.profileDir, "vaultgate-allocs.pprof")); err != nil {
			return r, fmt.Errorf("allocs profile: %w", err)
		}
	}
	return r, nil
}

// upstreamCalls is vaultgate's count of successful upstream calls so far
// (0 without admin). It counts a call before the answer leaves, and runs
// end only when every answer has arrived, so none is missed.
func upstreamCalls(ctx context.Context, obs *observer, admin string) (int, error) {
	if admin == "" {
		return 0, nil
	}
	// Summed over any other labels (the operation, say).
	v, err := obs.metrics(ctx, admin, series{"vaultgate_upstream_requests_total", []string{`outcome="success"`}})
	if err != nil {
		return 0, err
	}
	return int(v[0]), nil
}
