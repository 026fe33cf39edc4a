package app

import (
	"io"
	"net/http"
	"runtime"
	"testing"
	"time"
)

// BenchmarkSoakBadRequests keeps the service busy with requests it must
// refuse — no credentials, garbage tokens, JWTs naming made-up kids — and
// reports goroutines and live heap before and after, plus the JWKS requests
// the flood caused. Run it long to soak:
//
//	go test -run '^$' -bench SoakBadRequests -benchtime 60s ./internal/app/
//
// The numbers are for reading, not asserting; only wrong statuses fail it.
func BenchmarkSoakBadRequests(b *testing.B) {
	s := startStack(b, nil, logTo(io.Discard))
	client := floodClient(b, floodWorkers)
	kids := s.randomKIDTokens(b, 256)
	headers := []http.Header{
		{"Accept": {"application/json"}},
		{"Authorization": {"Bearer not-a-jwt"}},
		{"Authorization": {"Bearer " + s.token(b) + "x"}}, // signature broken
	}
	for _, tok := range kids {
		headers = append(headers, http.Header{"Authorization": {"Bearer " + tok}})
	}
	url := s.public + "/connect"

	goroutinesBefore, heapBefore := soakSnapshot()
	jwksBefore := s.jwksHits.Load()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			r := sendConnect(client, url, headers[i%len(headers)], "")
			if r.status != http.StatusUnauthorized {
				b.Errorf("status %d err %v, want 401", r.status, r.err)
				return
			}
			i++
		}
	})
	b.StopTimer()

	client.CloseIdleConnections()
	goroutinesAfter := goroutinesAtMost(goroutinesBefore, 5*time.Second)
	_, heapAfter := soakSnapshot()
	b.ReportMetric(float64(goroutinesBefore), "goroutines-before")
	b.ReportMetric(float64(goroutinesAfter), "goroutines-after")
	b.ReportMetric(float64(heapBefore), "heap-before-B")
	b.ReportMetric(float64(heapAfter), "heap-after-B")
	b.ReportMetric(float64(s.jwksHits.Load()-jwksBefore), "jwks-fetches")
}

// soakSnapshot collects garbage and returns the settled goroutine count and
// the live heap in bytes.
func soakSnapshot() (goroutines int, heap uint64) {
	goroutines = stableGoroutines()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return goroutines, ms.HeapAlloc
}
