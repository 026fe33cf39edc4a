package upstream

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
)

func BenchmarkCreateSession(b *testing.B) {
	srv := newServer(b, okHandler)
	c, err := New(testConfig(srv.URL), prometheus.NewRegistry(), zerolog.Nop())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(c.Close)
	body := []byte(`{"redirect_uri":"https://app.example.test/done","settings":{"unified_apis":["crm"]}}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := c.CreateSession(b.Context(), testConsumer, body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCreateSessionParallel(b *testing.B) {
	srv := newServer(b, okHandler)
	c, err := New(testConfig(srv.URL), prometheus.NewRegistry(), zerolog.Nop())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(c.Close)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, _, err := c.CreateSession(b.Context(), testConsumer, []byte(`{}`)); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
