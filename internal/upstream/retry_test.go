package upstream

import (
	"net/http"
	"sync/atomic"
	"testing"
	"time"
)

func TestRetryHint(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		header map[string]string
		want   time.Duration
		wantOK bool
	}{
		{"none", nil, 0, false},
		{"seconds", map[string]string{"Retry-After": "3"}, 3 * time.Second, true},
		{"zero seconds", map[string]string{"Retry-After": "0"}, 0, true},
		{"fractional seconds", map[string]string{"Retry-After": "1.5"}, 1500 * time.Millisecond, true},
		{"milliseconds", map[string]string{"retry-after-ms": "250"}, 250 * time.Millisecond, true},
		{"ms wins over seconds", map[string]string{"retry-after-ms": "250", "Retry-After": "9"}, 250 * time.Millisecond, true},
		{"bad ms falls back", map[string]string{"retry-after-ms": "soon", "Retry-After": "2"}, 2 * time.Second, true},
		{"http date", map[string]string{"Retry-After": now.Add(4 * time.Second).Format(http.TimeFormat)}, 4 * time.Second, true},
		{"date in the past", map[string]string{"Retry-After": now.Add(-time.Hour).Format(http.TimeFormat)}, 0, true},
		{"negative", map[string]string{"Retry-After": "-5"}, 0, false},
		{"negative ms", map[string]string{"retry-after-ms": "-5"}, 0, false},
		{"NaN ms", map[string]string{"retry-after-ms": "NaN"}, 0, false},
		{"garbage", map[string]string{"Retry-After": "tomorrow"}, 0, false},
		{"huge capped", map[string]string{"Retry-After": "99999999999999"}, maxRetryHint, true},
		{"huge ms capped", map[string]string{"retry-after-ms": "1e300"}, maxRetryHint, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for k, v := range tt.header {
				h.Set(k, v)
			}
			got, ok := retryHint(h, now)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("retryHint = %v, %v; want %v, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestRetryDelay(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		hint      time.Duration
		hasHint   bool
		backoff   time.Duration
		remaining time.Duration
		want      time.Duration
		wantOK    bool
	}{
		{"backoff fits", 0, false, 500 * time.Millisecond, 10 * time.Second, 500 * time.Millisecond, true},
		{"backoff bounded to half the time left", 0, false, 3 * time.Second, 2 * time.Second, time.Second, true},
		{"too little time left", 0, false, 500 * time.Millisecond, 150 * time.Millisecond, 75 * time.Millisecond, false},
		{"hint fits", 2 * time.Second, true, 10 * time.Millisecond, 5 * time.Second, 2 * time.Second, true},
		{"hint overrides a longer backoff", 10 * time.Millisecond, true, 3 * time.Second, 5 * time.Second, 10 * time.Millisecond, true},
		{"hint does not fit", 5 * time.Second, true, 10 * time.Millisecond, 5 * time.Second, 5 * time.Second, false},
		{"zero hint", 0, true, time.Second, time.Second, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := retryDelay(tt.hint, tt.hasHint, tt.backoff, tt.remaining)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("retryDelay = %v, %v; want %v, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestBackoffGrowsWithJitter(t *testing.T) {
	t.Parallel()
	base := 500 * time.Millisecond
	// Nominal delays: 500ms * n^1.5; equal jitter keeps each in [d/2, d].
	nominal := []time.Duration{500 * time.Millisecond, 1414213562, 2598076211}
	for i, d := range nominal {
		seen := map[time.Duration]bool{}
		for range 200 {
			got := backoff(base, i+1)
			if got < d/2 || got > d {
				t.Fatalf("backoff(attempt %d) = %v, want within [%v, %v]", i+1, got, d/2, d)
			}
			seen[got] = true
		}
		if len(seen) < 2 {
			t.Errorf("backoff(attempt %d) has no jitter", i+1)
		}
	}
}

// sequence answers with statuses in order, then with the last one.
func sequence(t *testing.T, hits *atomic.Int32, header http.Header, statuses ...int) *Client {
	t.Helper()
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		n := int(hits.Add(1))
		s := statuses[min(n, len(statuses))-1]
		if s == 200 {
			okHandler(w, r)
			return
		}
		for k, v := range header {
			w.Header()[k] = v
		}
		w.WriteHeader(s)
	})
	return newTestClient(t, srv, nil).Client
}

func TestCreateSessionRecoversAfterRetries(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	c := sequence(t, &hits, nil, 503, 502, 200)
	sess, res, err := c.CreateSession(t.Context(), testConsumer, []byte(`{}`))
	if err != nil || sess.Token != testToken {
		t.Fatalf("CreateSession = %v, want success on the third attempt", err)
	}
	if res.Attempts != 3 || res.Status != 200 || hits.Load() != 3 {
		t.Errorf("result %+v after %d hits, want 3 attempts ending in 200", res, hits.Load())
	}
}

func TestCreateSessionRetryCountFollowsConfig(t *testing.T) {
	t.Parallel()
	for _, retries := range []int{0, 1, 2, 4} {
		var hits atomic.Int32
		srv := newServer(t, func(w http.ResponseWriter, _ *http.Request) {
			hits.Add(1)
			w.WriteHeader(500)
		})
		tc := newTestClient(t, srv, func(c *Config) { c.MaxRetries = retries })
		_, res, _ := tc.create(t.Context())
		if int(hits.Load()) != retries+1 || res.Attempts != retries+1 {
			t.Errorf("MaxRetries=%d: %d hits, %d attempts; want %d", retries, hits.Load(), res.Attempts, retries+1)
		}
	}
}

func TestCreateSessionHonoursRetryAfterThatFits(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	c := sequence(t, &hits, http.Header{"Retry-After-Ms": {"300"}}, 503, 200)
	start := time.Now()
	_, res, err := c.CreateSession(t.Context(), testConsumer, []byte(`{}`))
	if err != nil || res.Attempts != 2 {
		t.Fatalf("CreateSession = %v after %d attempts, want success after 2", err, res.Attempts)
	}
	// The test backoff is 1ms, so only the hint explains a 300ms wait.
	if elapsed := time.Since(start); elapsed < 300*time.Millisecond {
		t.Errorf("retried after %v, before the upstream's 300ms", elapsed)
	}
}

func TestCreateSessionStopsWhenRetryAfterDoesNotFit(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	c := sequence(t, &hits, http.Header{"Retry-After": {"5"}}, 503, 200)
	// testConfig's 2s deadline cannot hold a 5s wait.
	_, res, err := c.CreateSession(t.Context(), testConsumer, []byte(`{}`))
	if e := asError(t, err); e.Kind != KindUnavailable || e.Status != 503 {
		t.Errorf("kind %v status %d, want unavailable 503", e.Kind, e.Status)
	}
	if res.Attempts != 1 || hits.Load() != 1 {
		t.Errorf("%d attempts, %d hits; want 1", res.Attempts, hits.Load())
	}
	if res.Duration > time.Second {
		t.Errorf("waited %v for a retry that could not fit", res.Duration)
	}
}
