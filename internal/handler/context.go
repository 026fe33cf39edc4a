package handler

import (
	"context"
	"net/http"
	"time"
)

type ctxKey int

const (
	keyRequestID ctxKey = iota
	keyState
)

// requestState is what a handler tells the access log about its request.
// Only the request's own goroutine touches it.
type requestState struct {
	consumerID       string
	upstreamStatus   int
	upstreamDuration time.Duration
	code             string // problem code; empty on success
	route            string // route label when chi has none (405s); empty otherwise
}

// stateFrom returns the request's state, or a throwaway one when no access
// log middleware runs (unit tests of a single handler), so callers never
// check for nil.
func stateFrom(ctx context.Context) *requestState {
	if s, ok := ctx.Value(keyState).(*requestState); ok {
		return s
	}
	return &requestState{}
}

func withState(ctx context.Context, s *requestState) context.Context {
	return context.WithValue(ctx, keyState, s)
}

func withRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, keyRequestID, id)
}

// requestIDFrom returns the request id from ctx, falling back to the
// response header for code that runs outside the request id middleware's
// context (panic recovery).
func requestIDFrom(ctx context.Context, w http.ResponseWriter) string {
	if id, ok := ctx.Value(keyRequestID).(string); ok {
		return id
	}
	return w.Header().Get(headerRequestID)
}
