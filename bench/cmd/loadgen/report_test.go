package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestPercentile(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"empty", nil, 0.99, 0},
		{"one", ms(7), 0.99, 7 * time.Millisecond},
		{"median of 1..100", ms(hundred...), 0.50, 50 * time.Millisecond},
		{"p99 of 1..100", ms(hundred...), 0.99, 99 * time.Millisecond},
		{"p100 is the max", ms(hundred...), 1, 100 * time.Millisecond},
		{"p99 of two", ms(1, 2), 0.99, 2 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := percentile(tt.sorted, tt.p); got != tt.want {
				t.Errorf("percentile = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestMedianLeavesInputAlone(t *testing.T) {
	in := []float64{3, 1, 2, 5}
	if got := median(in); got != 2 {
		t.Errorf("median = %v, want the lower middle 2", got)
	}
	if diff := cmp.Diff([]float64{3, 1, 2, 5}, in); diff != "" {
		t.Errorf("input reordered:\n%s", diff)
	}
}

func TestProcessSamplesOfThisProcess(t *testing.T) {
	o := newObserver()
	if o.clockHz <= 0 {
		t.Fatalf("clock ticks = %d", o.clockHz)
	}
	m, err := memoryOf(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if m.RSS <= 0 || m.HWM < m.RSS || m.Anon <= 0 || m.File <= 0 || m.Anon+m.File > m.RSS {
		t.Errorf("memory = %+v, want 0 < RSS <= HWM and anonymous + file-backed within RSS", m)
	}
	if _, err := o.cpuOf(os.Getpid()); err != nil {
		t.Fatal(err)
	}
	if _, err := memoryOf(-1); err == nil {
		t.Error("no error for a process that cannot exist")
	}
}

func TestSignHS256(t *testing.T) {
	// Expected value computed independently (Python's hmac and base64).
	tok, err := signHS256(map[string]any{"sub": "x"}, []byte("k"))
	if err != nil {
		t.Fatal(err)
	}
	const want = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ4In0.ZQBNfODvZbWEZlqkYu9Hjz8pREszIDnoFi82AvAUXvI"
	if tok != want {
		t.Errorf("token = %s, want %s", tok, want)
	}
}

func TestMetricsSumsSeriesWhateverTheirOtherLabels(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `# HELP vaultgate_upstream_requests_total Attempts.
# TYPE vaultgate_upstream_requests_total counter
vaultgate_upstream_requests_total{operation="create_session",outcome="success"} 40
vaultgate_upstream_requests_total{operation="list_connections",outcome="success"} 2
vaultgate_upstream_requests_total{operation="create_session",outcome="rejected"} 7
vaultgate_upstream_requests_total_other{outcome="success"} 1000
go_goroutines 12
`)
	}))
	defer srv.Close()
	got, err := newObserver().metrics(context.Background(), srv.URL,
		series{"vaultgate_upstream_requests_total", []string{`outcome="success"`}},
		series{"vaultgate_upstream_requests_total", []string{`outcome="success"`, `operation="create_session"`}},
		series{name: "go_goroutines"},
		series{name: "vaultgate_not_exported_yet"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]float64{42, 40, 12, 0}, got); diff != "" {
		t.Errorf("metrics (-want +got):\n%s", diff)
	}
}
