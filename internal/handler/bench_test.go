package handler

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/vaultgate/vaultgate/internal/upstream"
)

// benchSessions answers at once and keeps nothing, so memory stays flat.
type benchSessions struct{}

func (benchSessions) Create(context.Context, string, string, upstream.SessionRequest) (upstream.Session, upstream.Result, error) {
	return sessionAt(testCreatedAt()), upstream.Result{Status: 200, Attempts: 1}, nil
}

func BenchmarkConnect(b *testing.B) {
	for _, bb := range []struct{ name, method, target, body string }{
		{"GET redirect", "GET", "/connect", ""},
		{"POST JSON with options", "POST", "/connect?unified_apis=crm", `{"redirect_uri":"https://app.example.com/settings/x","unified_apis":["hris","crm"]}`},
	} {
		b.Run(bb.name, func(b *testing.B) {
			h := NewPublic(Deps{Log: zerolog.Nop(), Registerer: prometheus.NewRegistry(), Auth: &fakeAuth{},
				Sessions: benchSessions{}, Connect: testConnectConfig(b)})
			b.ReportAllocs()
			for b.Loop() {
				r := authed(bb.method, bb.target, bb.body, "Content-Type", "application/json")
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				if w.Code != 302 && w.Code != 200 {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
			}
		})
	}
}
