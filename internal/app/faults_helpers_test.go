package app

import (
	"bufio"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// faultReply is one answer collected from a goroutine: tests must not call
// t.Fatal off the test goroutine, so the checks run afterwards.
type faultReply struct {
	status  int
	res     *http.Response // nil on err; its Body holds body again
	body    []byte
	err     error
	elapsed time.Duration
}

// wantRetryAfter checks that Retry-After is a whole number of seconds in
// [lo, hi] and returns it.
func wantRetryAfter(t *testing.T, value string, lo, hi int) int {
	t.Helper()
	n, err := strconv.Atoi(value)
	if err != nil || n < lo || n > hi {
		t.Fatalf("Retry-After = %q, want whole seconds in [%d, %d]", value, lo, hi)
	}
	return n
}

// sendConnect does one POST /connect without failing the test, for use from
// several goroutines at once.
func sendConnect(client *http.Client, url string, header http.Header, body string) faultReply {
	start := time.Now()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		return faultReply{err: err}
	}
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := client.Do(req)
	if err != nil {
		return faultReply{err: err, elapsed: time.Since(start)}
	}
	b, err := readBody(res)
	return faultReply{status: res.StatusCode, res: res, body: b, err: err, elapsed: time.Since(start)}
}

// together runs fn(0..n-1) on n goroutines released at the same moment and
// returns their replies in index order.
func together(n int, fn func(i int) faultReply) []faultReply {
	out := make([]faultReply, n)
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	ready.Add(n)
	done.Add(n)
	for i := range n {
		go func() {
			defer done.Done()
			ready.Done()
			<-start
			out[i] = fn(i)
		}()
	}
	ready.Wait()
	close(start)
	done.Wait()
	return out
}

// metricValue scrapes the admin /metrics and returns the value of the
// series written exactly as series (name plus any label set), or false
// when it is absent.
func metricValue(t *testing.T, admin, series string) (float64, bool) {
	t.Helper()
	res, err := http.Get(admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("/metrics: %d", res.StatusCode)
	}
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		name, value, ok := strings.Cut(line, " ")
		if !ok || name != series {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err != nil {
			t.Fatalf("metric line %q: %v", line, err)
		}
		return v, true
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return 0, false
}

// wantMetric checks one series' value.
func wantMetric(t *testing.T, admin, series string, want float64) {
	t.Helper()
	got, ok := metricValue(t, admin, series)
	if !ok {
		t.Fatalf("metric %s missing from /metrics", series)
	}
	if got != want {
		t.Fatalf("%s = %v, want %v", series, got, want)
	}
}
