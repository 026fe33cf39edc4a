package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestLoadgenTinyRun builds the real binaries and runs both scenarios for
// a fraction of a second each: it checks that the tool works end to end
// (processes start, every target answers, nothing fails, the targets take
// turns going first, the report is complete), not how fast anything is.
func TestLoadgenTinyRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs vaultgate, the bare program and the mock")
	}
	dir := t.TempDir()
	server, bare, mock := filepath.Join(dir, "vaultgate"), filepath.Join(dir, "bare"), filepath.Join(dir, "leanmock")
	build(t, server, "./cmd/server")
	build(t, bare, "./bench/cmd/bare")
	build(t, mock, "./bench/cmd/leanmock")
	jsonOut := filepath.Join(dir, "report.json")

	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	err := run(ctx, []string{
		"-server", server, "-bare", bare, "-mock", mock, "-json", jsonOut,
		"-users", "20", "-conns", "4", "-duration", "300ms", "-warmup", "100ms", "-runs", "2", "-rate", "50",
		"-slow-conns", "8", "-slow-latency", "20ms", "-slow-runs", "2", "-slow-duration", "300ms", "-settle", "100ms",
	}, &out, &errOut)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, errOut.String())
	}

	raw, err := os.ReadFile(jsonOut)
	if err != nil {
		t.Fatal(err)
	}
	var rep report
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Fast.Runs) != 2 || rep.Slow == nil || len(rep.Slow.Runs) != 2 {
		t.Fatalf("report has %d fast runs and slow %+v", len(rep.Fast.Runs), rep.Slow)
	}
	var all []result
	for _, run := range rep.Fast.Runs {
		for _, name := range fastTargets() {
			all = append(all, run.Saturating[name], run.Paced[name])
		}
	}
	for _, run := range rep.Slow.Runs {
		all = append(all, run.Vaultgate, run.Direct)
	}
	for _, r := range all {
		if r.Requests == 0 || r.Errors != 0 {
			t.Errorf("%s: %d requests, %d errors (first: %s)", r.Name, r.Requests, r.Errors, r.FirstErr)
		}
	}
	if first, second := rep.Fast.Runs[0].Order, rep.Fast.Runs[1].Order; first[0] == second[0] {
		t.Errorf("run 2 has the order of run 1: %v, %v", first, second)
	}
	if first, second := rep.Slow.Runs[0].Order, rep.Slow.Runs[1].Order; first[0] == second[0] {
		t.Errorf("latency-bound run 2 has the order of run 1: %v, %v", first, second)
	}
	if r := rep.Fast.Runs[0].Saturating[targetVaultgate]; r.UpstreamCalls != r.answers() {
		t.Errorf("vaultgate's metrics counted %d upstream calls for %d answers", r.UpstreamCalls, r.answers())
	}
	for _, name := range fastTargets() {
		if m := rep.Fast.Memory[name]; m.Idle.RSS == 0 || m.Peak < m.Idle.RSS {
			t.Errorf("%s memory samples missing: %+v", name, m)
		}
	}
	if rep.Slow.Runs[0].After.Goroutines == 0 {
		t.Errorf("goroutines not sampled: %+v", rep.Slow.Runs[0].After)
	}
	for _, want := range []string{"CPU/request, vaultgate ÷ bare", "| vaultgate upstream calls per answer = 1.00 | 1.00 | yes |",
		"#### Latency-bound upstream, 8 connections", "| no growth from run 1 to run 2"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}

// build compiles pkg (relative to the module root) into bin.
func build(t *testing.T, bin, pkg string) {
	t.Helper()
	cmd := exec.Command("go", "build", "-o", bin, pkg)
	cmd.Dir = filepath.Join("..", "..", "..")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, out)
	}
}
