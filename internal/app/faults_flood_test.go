package app

import (
	"io"
	"net/http"
	"sync"
	"testing"
	"time"
)

const (
	floodEach    = 2000 // requests of each kind
	floodWorkers = 32
	// goroutineSlack allows for runtime and pool goroutines that come and
	// go; a leak per request would be thousands.
	goroutineSlack = 10
)

// TestFloodOfBadCredentialsStaysBounded sends 2000 requests without usable
// credentials and 2000 well-formed JWTs naming made-up kids. Every one must
// be a 401, the identity provider must see at most one extra JWKS request,
// goroutines must return to where they were, and the service must still
// serve a real user afterwards.
func TestFloodOfBadCredentialsStaysBounded(t *testing.T) {
	s := startStack(t, nil, logTo(io.Discard))
	client := floodClient(t, floodWorkers)
	good := http.Header{"Authorization": {"Bearer " + s.token(t)}}
	if r := sendConnect(client, s.public+"/connect", good, ""); r.status != http.StatusOK {
		t.Fatalf("warm-up: status %d err %v (%s)", r.status, r.err, r.body)
	}
	bad := s.randomKIDTokens(t, floodEach)
	client.CloseIdleConnections()
	baseline := stableGoroutines()
	jwksBefore := s.jwksHits.Load()

	statuses := floodConnect(client, s.public+"/connect", 2*floodEach, func(i int) http.Header {
		switch {
		case i >= floodEach:
			return http.Header{"Authorization": {"Bearer " + bad[i-floodEach]}}
		case i%2 == 0:
			return http.Header{"Authorization": {"Bearer not-a-jwt"}}
		default:
			return http.Header{"Accept": {"application/json"}}
		}
	})

	if got := statuses[http.StatusUnauthorized]; got != 2*floodEach {
		t.Errorf("answers = %v, want %d × 401", statuses, 2*floodEach)
	}
	refetches := s.jwksHits.Load() - jwksBefore
	t.Logf("flood answers %v, JWKS refetches %d, goroutines before %d", statuses, refetches, baseline)
	if refetches > 1 {
		t.Errorf("JWKS requested %d times during the flood, want at most 1", refetches)
	}
	if got := s.sim.Calls(); got != 1 {
		t.Errorf("upstream calls = %d, want only the warm-up's", got)
	}

	client.CloseIdleConnections()
	n := goroutinesAtMost(baseline+goroutineSlack, 10*time.Second)
	t.Logf("goroutines after %d", n)
	if n > baseline+goroutineSlack {
		t.Errorf("goroutines = %d after the flood, baseline %d (+%d slack)", n, baseline, goroutineSlack)
	}
	if r := sendConnect(client, s.public+"/connect", good, ""); r.status != http.StatusOK {
		t.Fatalf("after the flood: status %d err %v (%s)", r.status, r.err, r.body)
	}
}

// floodConnect POSTs /connect n times from floodWorkers goroutines, with
// header(i) for request i, and counts the statuses (0 = transport error).
func floodConnect(client *http.Client, url string, n int, header func(i int) http.Header) map[int]int {
	jobs := make(chan int)
	var mu sync.Mutex
	statuses := map[int]int{}
	var wg sync.WaitGroup
	for range floodWorkers {
		wg.Go(func() {
			for i := range jobs {
				r := sendConnect(client, url, header(i), "")
				mu.Lock()
				statuses[r.status]++
				mu.Unlock()
			}
		})
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return statuses
}
