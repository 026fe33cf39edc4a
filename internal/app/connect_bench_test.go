package app

import (
	"bytes"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/vaultgate/vaultgate/internal/testkit"
)

// BenchmarkConnectEndToEnd measures one GET /connect (JSON answer) through
// the public router: JWT verification, consumer mapping, the session
// request, the upstream call to the simulator over loopback HTTP and the
// response. The simulator runs in a child process (as Apideck is remote),
// so allocs/op are vaultgate's own; ns/op includes the loopback round trip.
//
// "repeat-token" cycles through benchUsers users' tokens, as a frontend
// presenting a signed-in user's token again does (served by the
// verified-token cache after the first time); "new-token" presents a token
// never seen before on every request (full verification), minted outside
// the timed and counted part. "token-3x" presents each new token three
// times in a row, as a page that retries or mounts twice does: what the
// verified-token cache was measured against.
func BenchmarkConnectEndToEnd(b *testing.B) {
	keys := testkit.NewKeys(b)
	upstreamURL := startBenchSimulator(b)
	jwksSource := map[string]string{"AUTH_JWKS_URL": serveJWKS(b, benchJWKS(b, keys))}
	cases := []struct {
		name   string
		source map[string]string
		minter benchMinter
	}{
		{"HS256", map[string]string{"AUTH_HS256_SECRET": benchHMAC},
			newBenchMinter(jose.HS256, []byte(benchHMAC), "")},
		{"RS256", jwksSource, newBenchMinter(jose.RS256, keys.RSA, "rsa-1")},
		{"ES256", jwksSource, newBenchMinter(jose.ES256, keys.EC, "ec-1")},
	}
	for _, c := range cases {
		b.Run(c.name+"/repeat-token", func(b *testing.B) {
			h := benchRouter(b, benchConfig(b, upstreamURL, c.source))
			m := c.minter
			reqs := make([]*http.Request, benchUsers)
			w := newBenchWriter()
			for i := range reqs {
				reqs[i] = m.request(b, i)
				// Each user once before timing: the steady state measured is
				// that of tokens seen before (b.Loop starts the clock).
				serveBench(b, h, w, reqs[i])
			}
			b.ReportAllocs()
			cpu0 := processCPU(b)
			i := 0
			for b.Loop() {
				serveBench(b, h, w, reqs[i%len(reqs)])
				i++
			}
			reportCPU(b, processCPU(b)-cpu0)
		})
		b.Run(c.name+"/new-token", func(b *testing.B) {
			h := benchRouter(b, benchConfig(b, upstreamURL, c.source))
			m := c.minter
			w := newBenchWriter()
			b.ReportAllocs()
			var cpu time.Duration
			i := 0
			for b.Loop() {
				b.StopTimer()
				r := m.request(b, i)
				b.StartTimer()
				c0 := processCPU(b)
				serveBench(b, h, w, r)
				cpu += processCPU(b) - c0
				i++
			}
			reportCPU(b, cpu)
		})
		b.Run(c.name+"/token-3x", func(b *testing.B) {
			h := benchRouter(b, benchConfig(b, upstreamURL, c.source))
			m := c.minter
			w := newBenchWriter()
			b.ReportAllocs()
			var cpu time.Duration
			var r *http.Request
			i := 0
			for b.Loop() {
				if i%3 == 0 {
					b.StopTimer()
					r = m.request(b, i/3)
					b.StartTimer()
				}
				c0 := processCPU(b)
				serveBench(b, h, w, r)
				cpu += processCPU(b) - c0
				i++
			}
			reportCPU(b, cpu)
		})
	}
}

// processCPU is the user and system CPU time this process has used: the
// handler's work on every thread, garbage collection included, but not
// the simulator's (another process) nor time spent waiting for it.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU adds cpu-ns/op: less sensitive than ns/op to the round trip to
// the simulator and to other work on the machine.
func reportCPU(b *testing.B, cpu time.Duration) {
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
}

// serveBench serves one request and checks it got a session.
func serveBench(b *testing.B, h http.Handler, w *benchWriter, r *http.Request) {
	w.reset()
	h.ServeHTTP(w, r)
	if w.status != http.StatusOK || !bytes.Contains(w.body, []byte(`"session_uri"`)) {
		b.Fatalf("status %d: %s", w.status, w.body)
	}
}

// benchWriter is a reusable http.ResponseWriter. httptest.ResponseRecorder
// allocates a recorder, a header snapshot and a body buffer per request,
// which would be counted as the handler's; net/http's own response writer
// is not part of what these benchmarks measure either way.
type benchWriter struct {
	header http.Header
	status int
	body   []byte
}

func newBenchWriter() *benchWriter { return &benchWriter{header: make(http.Header)} }

func (w *benchWriter) reset() {
	clear(w.header)
	w.status, w.body = 0, w.body[:0]
}

func (w *benchWriter) Header() http.Header { return w.header }

func (w *benchWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *benchWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	w.body = append(w.body, p...)
	return len(p), nil
}
