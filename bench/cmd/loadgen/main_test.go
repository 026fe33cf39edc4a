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
// (processes start, load flows, nothing fails, the report is complete),
// not how fast anything is.
func TestLoadgenTinyRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs vaultgate and the simulator")
	}
	dir := t.TempDir()
	server, sim := filepath.Join(dir, "vaultgate"), filepath.Join(dir, "apideck-sim")
	build(t, server, "./cmd/server")
	build(t, sim, "./cmd/apideck-sim")
	jsonOut := filepath.Join(dir, "report.json")

	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	err := run(ctx, []string{
		"-server", server, "-sim", sim, "-json", jsonOut,
		"-users", "20", "-conns", "4", "-duration", "300ms", "-warmup", "100ms", "-runs", "1", "-rate", "50",
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
	if len(rep.Fast.Runs) != 1 || rep.Slow == nil || len(rep.Slow.Runs) != 2 || len(rep.Slow.After) != 2 {
		t.Fatalf("report has %d fast runs and slow %+v", len(rep.Fast.Runs), rep.Slow)
	}
	p := rep.Fast.Runs[0]
	for _, r := range []result{p.Vaultgate, p.Ceiling, p.PacedVaultgate, p.PacedCeiling, rep.Slow.Runs[0], rep.Slow.Runs[1]} {
		if r.Requests == 0 || r.Errors != 0 {
			t.Errorf("%s: %d requests, %d errors (first: %s)", r.Name, r.Requests, r.Errors, r.FirstErr)
		}
	}
	if p.Vaultgate.UpstreamN == 0 {
		t.Error("no upstream calls counted from vaultgate's metrics")
	}
	if rep.Fast.IdleRSS == 0 || rep.Fast.PeakRSS < rep.Fast.IdleRSS || rep.Slow.After[0].Goroutines == 0 {
		t.Errorf("process samples missing: fast %+v, slow %+v", rep.Fast, rep.Slow.After)
	}
	for _, want := range []string{"| measure | value | target | met |", "#### Slow upstream", "Growth from run 1 to run 2"} {
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
