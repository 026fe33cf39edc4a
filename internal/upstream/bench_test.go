package upstream

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/vaultgate/vaultgate/internal/metrics"
)

func BenchmarkCreateSession(b *testing.B) {
	srv := newServer(b, okHandler)
	c, err := New(testConfig(srv.URL), metrics.New(prometheus.NewRegistry()), zerolog.Nop())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(c.Close)
	req := SessionRequest{RedirectURI: "https://app.example.test/done", Settings: &Settings{UnifiedAPIs: []string{"crm"}}}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := c.CreateSession(b.Context(), testConsumer, req); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCreateSessionParallel(b *testing.B) {
	srv := newServer(b, okHandler)
	c, err := New(testConfig(srv.URL), metrics.New(prometheus.NewRegistry()), zerolog.Nop())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(c.Close)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, _, err := c.CreateSession(b.Context(), testConsumer, SessionRequest{}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
