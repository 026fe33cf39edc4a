package sessions

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/vaultgate/vaultgate/internal/metrics"
	"github.com/vaultgate/vaultgate/internal/upstream"
)

type fakeCreator struct {
	calls atomic.Int32
	fn    func(ctx context.Context, consumerID string, body []byte) (upstream.Session, upstream.Result, error)
}

func (f *fakeCreator) CreateSession(ctx context.Context, consumerID string, body []byte) (upstream.Session, upstream.Result, error) {
	n := f.calls.Add(1)
	if f.fn != nil {
		return f.fn(ctx, consumerID, body)
	}
	return upstream.Session{URI: "https://vault.test/session/" + consumerID, Token: string(rune('a' + n)), CreatedAt: time.Now()}, upstream.Result{Status: 200, Attempts: 1}, nil
}

func newService(t *testing.T, c Creator, o Options) (*Service, *metrics.Metrics) {
	t.Helper()
	m := metrics.New(prometheus.NewRegistry())
	return New(c, m, o), m
}

func TestConcurrentIdenticalRequestsShareOneCall(t *testing.T) {
	release := make(chan struct{})
	c := &fakeCreator{fn: func(ctx context.Context, id string, _ []byte) (upstream.Session, upstream.Result, error) {
		<-release
		return upstream.Session{URI: "u", Token: "t"}, upstream.Result{Status: 200}, nil
	}}
	s, m := newService(t, c, Options{Lifetime: time.Hour})
	const n = 20
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, err := s.Create(context.Background(), "user-1", "org_1", upstream.SessionRequest{RedirectURI: "https://app/"})
			errs <- err
		}()
	}
	// Give every caller time to join the flight before the upstream answers.
	time.Sleep(200 * time.Millisecond)
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := c.calls.Load(); got != 1 {
		t.Fatalf("upstream calls = %d, want 1", got)
	}
	if got := testutil.ToFloat64(m.SessionReuse.WithLabelValues("shared")); got != n {
		t.Fatalf("shared = %v, want %d", got, n)
	}
}

func TestDifferentUsersConsumersOrOptionsNeverShare(t *testing.T) {
	c := &fakeCreator{}
	store := NewMemory(100)
	s, _ := newService(t, c, Options{Store: store, ReuseTTL: time.Minute, Lifetime: time.Hour})
	ctx := context.Background()
	reqs := []struct {
		subject, consumer string
		req               upstream.SessionRequest
	}{
		{"u1", "org_1", upstream.SessionRequest{}},
		{"u2", "org_1", upstream.SessionRequest{}},
		{"u1", "org_2", upstream.SessionRequest{}},
		{"u1", "org_1", upstream.SessionRequest{RedirectURI: "https://app/x"}},
		{"u1", "org_1", upstream.SessionRequest{Settings: &upstream.Settings{UnifiedAPIs: []string{"crm"}}}},
	}
	tokens := map[string]bool{}
	for _, r := range reqs {
		sess, _, err := s.Create(ctx, r.subject, r.consumer, r.req)
		if err != nil {
			t.Fatal(err)
		}
		if tokens[sess.Token] {
			t.Fatalf("session for %+v was reused across keys", r)
		}
		tokens[sess.Token] = true
	}
	if got := c.calls.Load(); got != int32(len(reqs)) {
		t.Fatalf("calls = %d, want %d", got, len(reqs))
	}
}

func TestReuseWithinTTLAndHalfLifetime(t *testing.T) {
	now := time.Now()
	c := &fakeCreator{}
	store := NewMemory(100)
	store.now = func() time.Time { return now }
	// The reuse window is capped at half the session's lifetime: 10m here.
	s, m := newService(t, c, Options{Store: store, ReuseTTL: time.Hour, Lifetime: 20 * time.Minute})
	ctx := context.Background()
	first, _, err := s.Create(ctx, "u1", "org_1", upstream.SessionRequest{})
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(9 * time.Minute)
	again, _, _ := s.Create(ctx, "u1", "org_1", upstream.SessionRequest{})
	if again.Token != first.Token || c.calls.Load() != 1 {
		t.Fatalf("expected reuse within window: calls=%d", c.calls.Load())
	}
	if testutil.ToFloat64(m.SessionReuse.WithLabelValues("hit")) != 1 {
		t.Fatal("hit not counted")
	}
	now = now.Add(2 * time.Minute) // 11m: less than half the lifetime remains
	later, _, _ := s.Create(ctx, "u1", "org_1", upstream.SessionRequest{})
	if later.Token == first.Token || c.calls.Load() != 2 {
		t.Fatalf("session reused past half its lifetime: calls=%d", c.calls.Load())
	}
}

func TestNoReuseWhenTTLZero(t *testing.T) {
	c := &fakeCreator{}
	s, _ := newService(t, c, Options{Store: NewMemory(10), ReuseTTL: 0, Lifetime: time.Hour})
	for range 3 {
		if _, _, err := s.Create(context.Background(), "u", "c", upstream.SessionRequest{}); err != nil {
			t.Fatal(err)
		}
	}
	if c.calls.Load() != 3 {
		t.Fatalf("calls = %d, want 3", c.calls.Load())
	}
}

type brokenStore struct{}

func (brokenStore) Get(context.Context, string) (upstream.Session, bool, error) {
	return upstream.Session{}, false, errors.New("store down")
}
func (brokenStore) Set(context.Context, string, upstream.Session, time.Duration) error {
	return errors.New("store down")
}

func TestStoreFailureSkipsReuse(t *testing.T) {
	c := &fakeCreator{}
	var failures atomic.Int32
	s, _ := newService(t, c, Options{Store: brokenStore{}, ReuseTTL: time.Minute, Lifetime: time.Hour,
		OnError: func(error) { failures.Add(1) }})
	for range 2 {
		if _, _, err := s.Create(context.Background(), "u", "c", upstream.SessionRequest{}); err != nil {
			t.Fatal(err)
		}
	}
	if c.calls.Load() != 2 || failures.Load() == 0 {
		t.Fatalf("calls=%d failures=%d", c.calls.Load(), failures.Load())
	}
}

func TestCallerGoingAwayDoesNotCancelSharedCall(t *testing.T) {
	started := make(chan struct{})
	release := make(chan struct{})
	var sawCancel atomic.Bool
	c := &fakeCreator{fn: func(ctx context.Context, _ string, _ []byte) (upstream.Session, upstream.Result, error) {
		close(started)
		<-release
		sawCancel.Store(ctx.Err() != nil)
		return upstream.Session{URI: "u", Token: "t"}, upstream.Result{}, nil
	}}
	s, _ := newService(t, c, Options{Lifetime: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	firstErr := make(chan error, 1)
	go func() {
		_, _, err := s.Create(ctx, "u", "c", upstream.SessionRequest{})
		firstErr <- err
	}()
	<-started
	second := make(chan error, 1)
	go func() {
		_, _, err := s.Create(context.Background(), "u", "c", upstream.SessionRequest{})
		second <- err
	}()
	time.Sleep(100 * time.Millisecond) // let the second caller join the flight
	cancel()
	var ue *upstream.Error
	if err := <-firstErr; !errors.As(err, &ue) || ue.Kind != upstream.KindTimeout {
		t.Fatalf("first caller: %v", err)
	}
	close(release)
	if err := <-second; err != nil {
		t.Fatalf("second caller: %v", err)
	}
	if sawCancel.Load() {
		t.Fatal("shared call saw the first caller's cancellation")
	}
}

func TestMemoryIsBounded(t *testing.T) {
	m := NewMemory(3)
	for i := range 10 {
		_ = m.Set(context.Background(), string(rune('a'+i)), upstream.Session{}, time.Minute)
	}
	if len(m.entries) > 3 {
		t.Fatalf("entries = %d, want <= 3", len(m.entries))
	}
}
