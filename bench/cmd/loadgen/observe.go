package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// observer reads what the load tool reports about a process: memory and
// CPU from /proc, goroutines and upstream calls from vaultgate's /metrics.
type observer struct {
	client  *http.Client
	clockHz int64 // USER_HZ: the unit of utime and stime
}

func newObserver() *observer {
	return &observer{client: &http.Client{Timeout: 5 * time.Second}, clockHz: clockTicks()}
}

// memory is a process's resident set: now, its high-water mark, and what
// it is made of now: anonymous memory (heap, stacks) and file-backed pages
// (mostly the executable's, which the kernel maps in around every page
// fault, so their count varies with what the page cache holds).
type memory struct {
	RSS, HWM, Anon, File int64 // bytes
}

// memoryOf reads VmRSS, VmHWM, RssAnon and RssFile from /proc/<pid>/status.
func memoryOf(pid int) (memory, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return memory{}, err
	}
	defer f.Close()
	var m memory
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), ":")
		var dst *int64
		switch name {
		case "VmRSS":
			dst = &m.RSS
		case "VmHWM":
			dst = &m.HWM
		case "RssAnon":
			dst = &m.Anon
		case "RssFile":
			dst = &m.File
		}
		if !ok || dst == nil {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 10, 64)
		if err != nil {
			return memory{}, fmt.Errorf("%s: %w", name, err)
		}
		*dst = kb << 10
	}
	return m, sc.Err()
}

// cpuOf is the process's user+system CPU time so far, from
// /proc/<pid>/stat (fields 14 and 15, counted after the command name,
// which may itself hold spaces or parentheses).
func (o *observer) cpuOf(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("unexpected /proc/%d/stat", pid)
	}
	fields := strings.Fields(string(b[i+1:]))
	// fields[0] is field 3 (state): utime is field 14, stime field 15.
	if len(fields) < 13 {
		return 0, fmt.Errorf("short /proc/%d/stat", pid)
	}
	ut, err1 := strconv.ParseInt(fields[11], 10, 64)
	st, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("unexpected /proc/%d/stat", pid)
	}
	return time.Duration((ut + st) * int64(time.Second) / o.clockHz), nil
}

// clockTicks finds USER_HZ in the auxiliary vector (AT_CLKTCK), which is
// what sysconf(_SC_CLK_TCK) reports; 100 when it cannot be read.
func clockTicks() int64 {
	const atClkTck = 17
	b, err := os.ReadFile("/proc/self/auxv")
	if err == nil {
		for i := 0; i+16 <= len(b); i += 16 {
			if binary.NativeEndian.Uint64(b[i:]) == atClkTck {
				if hz := int64(binary.NativeEndian.Uint64(b[i+8:])); hz > 0 {
					return hz
				}
			}
		}
	}
	return 100
}

// series selects the samples of one metric from vaultgate's /metrics:
// those named name whose labels include every one of labels (each written
// as in the exposition, e.g. `outcome="success"`), whatever other labels
// they carry. Their values are summed.
type series struct {
	name   string
	labels []string
}

// metrics reads several series from one scrape of vaultgate's /metrics,
// so counters read together are consistent with each other. A series not
// exported yet (no such event so far) is 0.
func (o *observer) metrics(ctx context.Context, admin string, want ...series) ([]float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, admin+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	res, err := o.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	out := make([]float64, len(want))
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		sample, value, ok := strings.Cut(line, " ")
		name, labels, _ := strings.Cut(strings.TrimSuffix(sample, "}"), "{")
		if !ok {
			continue
		}
		for i, s := range want {
			if name == s.name && hasLabels(labels, s.labels) {
				v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", sample, err)
				}
				out[i] += v
			}
		}
	}
	return out, sc.Err()
}

// hasLabels reports whether the label list of a sample (`a="x",b="y"`)
// includes every one of want. Label values compared here hold no commas.
func hasLabels(list string, want []string) bool {
	have := strings.Split(list, ",")
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

// waitReady polls /readyz until it answers 200.
func waitReady(ctx context.Context, admin string) error {
	c := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		res, err := c.Get(admin + "/readyz")
		if err == nil {
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return errNotReady
}

// fetchProfile saves one pprof profile from vaultgate's admin listener.
func (o *observer) fetchProfile(ctx context.Context, admin, path, file string) error {
	c := &http.Client{Timeout: 2 * time.Minute}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, admin+path, nil)
	if err != nil {
		return err
	}
	res, err := c.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", path, res.Status)
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, res.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
