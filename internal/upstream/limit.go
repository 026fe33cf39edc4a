package upstream

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// slotWait is how long a call waits for a concurrency slot before it is
// refused as busy (SPEC: "within 1 s").
const slotWait = time.Second

// slots bounds the upstream calls in flight (APIDECK_MAX_CONCURRENCY), so a
// burst of /connect requests cannot open thousands of connections to
// Apideck or pile up goroutines behind a slow upstream.
type slots struct {
	ch       chan struct{}
	inFlight prometheus.Gauge
}

func newSlots(n int, inFlight prometheus.Gauge) *slots {
	return &slots{ch: make(chan struct{}, n), inFlight: inFlight}
}

// acquire takes a slot, waiting at most wait or until ctx is done. The
// returned release must be called exactly once when ok.
func (s *slots) acquire(ctx context.Context, wait time.Duration) (release func(), ok bool) {
	select {
	case s.ch <- struct{}{}:
	default:
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case s.ch <- struct{}{}:
		case <-t.C:
			return nil, false
		case <-ctx.Done():
			return nil, false
		}
	}
	// select picks at random when the slot and ctx are ready together; a
	// slot taken after ctx ended would only yield a doomed attempt.
	if ctx.Err() != nil {
		<-s.ch
		return nil, false
	}
	s.inFlight.Inc()
	return func() {
		s.inFlight.Dec()
		<-s.ch
	}, true
}
