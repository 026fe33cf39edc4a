package state

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/rs/zerolog"

	"github.com/vaultgate/vaultgate/internal/upstream"
)

// fakeCreator counts calls; without create it hands out a new token per call.
type fakeCreator struct {
	calls  atomic.Int32
	create func(ctx context.Context, consumerID string, body []byte) (upstream.Session, upstream.Result, error)
}

func (f *fakeCreator) CreateSession(ctx context.Context, consumerID string, body []byte) (upstream.Session, upstream.Result, error) {
	n := f.calls.Add(1)
	if f.create != nil {
		return f.create(ctx, consumerID, body)
	}
	return upstream.Session{URI: "https://vault.test/session/" + consumerID, Token: "tok-" + string(rune('a'+n)), CreatedAt: time.Now()},
		upstream.Result{Status: 201, Attempts: 1}, nil
}

// fakeStore is a store answering with its functions.
type fakeStore struct {
	get func(key string) (upstream.Session, bool, error)
	set func(key string, s upstream.Session, ttl time.Duration) error
}

func (f fakeStore) Get(_ context.Context, key string) (upstream.Session, bool, error) {
	return f.get(key)
}

func (f fakeStore) Set(_ context.Context, key string, s upstream.Session, ttl time.Duration) error {
	return f.set(key, s, ttl)
}

func newTestSessions(c Creator, st store, reuseTTL, lifetime time.Duration) *Sessions {
	reuse := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "test_reuse_total"}, []string{"result"})
	return newSessions(c, st, reuseTTL, lifetime, reuse, zerolog.Nop())
}

// TestSessionKeyIsStable pins the key format: replicas of different
// versions share reuse entries in Redis only while they compute the same
// keys.
func TestSessionKeyIsStable(t *testing.T) {
	yes := true
	reqs := []upstream.SessionRequest{
		{},
		{RedirectURI: "https://app.example.com/done", Settings: &upstream.Settings{UnifiedAPIs: []string{"crm"}, SandboxMode: &yes}},
		{ConsumerMetadata: &upstream.ConsumerMetadata{Email: "a@b.test"}, CustomConsumerSettings: map[string]any{"tax": 19}},
	}
	keys := make([]string, len(reqs))
	for i, req := range reqs {
		body, err := json.Marshal(req)
		if err != nil {
			t.Fatal(err)
		}
		keys[i] = sessionKey("user-1", "org_1", body)
		if want := streamedKey("user-1", "org_1", body); keys[i] != want {
			t.Errorf("key = %s, want %s", keys[i], want)
		}
	}
	const golden = "9668928ff34b11faa69c68d1e3f963652bb532ba0ac5d9f053bd63f8744284ed"
	if keys[1] != golden {
		t.Errorf("key changed: %s, pinned %s", keys[1], golden)
	}
}

// streamedKey is the key as first defined: the hash of each part behind
// its 4-byte big-endian length.
func streamedKey(subject, consumerID string, body []byte) string {
	h := sha256.New()
	for _, part := range [][]byte{[]byte(subject), []byte(consumerID), body} {
		h.Write([]byte{byte(len(part) >> 24), byte(len(part) >> 16), byte(len(part) >> 8), byte(len(part))})
		h.Write(part)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// TestCreateSendsTheBodyItKeys checks that the request is encoded once: the
// upstream gets the bytes the reuse key was computed from.
func TestCreateSendsTheBodyItKeys(t *testing.T) {
	req := upstream.SessionRequest{RedirectURI: "https://app.example.com/done?a=1&b=<2>",
		CustomConsumerSettings: map[string]any{"tax": 19}}
	want, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	var sent []byte
	var stored string
	c := &fakeCreator{create: func(_ context.Context, consumerID string, body []byte) (upstream.Session, upstream.Result, error) {
		sent = body
		return upstream.Session{URI: "u", Token: "t"}, upstream.Result{}, nil
	}}
	st := fakeStore{
		get: func(string) (upstream.Session, bool, error) { return upstream.Session{}, false, nil },
		set: func(key string, _ upstream.Session, _ time.Duration) error { stored = key; return nil },
	}
	s := newTestSessions(c, st, time.Minute, time.Hour)
	if _, _, err := s.Create(context.Background(), "user-1", "org_1", req); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(sent, want) {
		t.Errorf("upstream body = %s, want %s", sent, want)
	}
	if k := streamedKey("user-1", "org_1", want); stored != k {
		t.Errorf("stored under %s, want %s", stored, k)
	}
}

func TestConcurrentIdenticalRequestsShareOneCall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		c := &fakeCreator{create: func(context.Context, string, []byte) (upstream.Session, upstream.Result, error) {
			<-release
			return upstream.Session{URI: "u", Token: "t"}, upstream.Result{Status: 200}, nil
		}}
		s := newTestSessions(c, nil, 0, time.Hour)
		const n = 20
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for range n {
			wg.Go(func() {
				_, _, err := s.Create(context.Background(), "user-1", "org_1", upstream.SessionRequest{RedirectURI: "https://app/"})
				errs <- err
			})
		}
		synctest.Wait() // every caller has joined the flight
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
		if got := testutil.ToFloat64(s.reuse.WithLabelValues("shared")); got != n {
			t.Fatalf("shared = %v, want %d", got, n)
		}
	})
}

func TestDifferentUsersConsumersOrOptionsNeverShare(t *testing.T) {
	c := &fakeCreator{}
	s := newTestSessions(c, newMemoryStore(100), time.Minute, time.Hour)
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
	synctest.Test(t, func(t *testing.T) {
		c := &fakeCreator{}
		// The reuse window is capped at half the session's lifetime: 10m here.
		s := newTestSessions(c, newMemoryStore(100), time.Hour, 20*time.Minute)
		ctx := context.Background()
		first, _, err := s.Create(ctx, "u1", "org_1", upstream.SessionRequest{})
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(9 * time.Minute)
		again, _, _ := s.Create(ctx, "u1", "org_1", upstream.SessionRequest{})
		if again.Token != first.Token || c.calls.Load() != 1 {
			t.Fatalf("expected reuse within window: calls=%d", c.calls.Load())
		}
		if testutil.ToFloat64(s.reuse.WithLabelValues("hit")) != 1 {
			t.Fatal("hit not counted")
		}
		time.Sleep(2 * time.Minute) // 11m: less than half the lifetime remains
		later, _, _ := s.Create(ctx, "u1", "org_1", upstream.SessionRequest{})
		if later.Token == first.Token || c.calls.Load() != 2 {
			t.Fatalf("session reused past half its lifetime: calls=%d", c.calls.Load())
		}
	})
}

func TestNoReuseWhenTTLZero(t *testing.T) {
	c := &fakeCreator{}
	s := newTestSessions(c, newMemoryStore(10), 0, time.Hour)
	for range 3 {
		if _, _, err := s.Create(context.Background(), "u", "c", upstream.SessionRequest{}); err != nil {
			t.Fatal(err)
		}
	}
	if c.calls.Load() != 3 {
		t.Fatalf("calls = %d, want 3", c.calls.Load())
	}
}

func TestStoreFailureSkipsReuse(t *testing.T) {
	c := &fakeCreator{}
	broken := fakeStore{
		get: func(string) (upstream.Session, bool, error) {
			return upstream.Session{}, false, errors.New("store down")
		},
		set: func(string, upstream.Session, time.Duration) error { return errors.New("store down") },
	}
	s := newTestSessions(c, broken, time.Minute, time.Hour)
	var logs bytes.Buffer
	s.log = zerolog.New(&logs)
	for range 2 {
		if _, _, err := s.Create(context.Background(), "u", "c", upstream.SessionRequest{}); err != nil {
			t.Fatal(err)
		}
	}
	failures := strings.Count(logs.String(), "session reuse store failed")
	if c.calls.Load() != 2 || failures == 0 {
		t.Fatalf("calls=%d failures logged=%d", c.calls.Load(), failures)
	}
}

func TestCallerGoingAwayDoesNotCancelSharedCall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		started := make(chan struct{})
		release := make(chan struct{})
		var sawCancel atomic.Bool
		c := &fakeCreator{create: func(ctx context.Context, _ string, _ []byte) (upstream.Session, upstream.Result, error) {
			close(started)
			<-release
			sawCancel.Store(ctx.Err() != nil)
			return upstream.Session{URI: "u", Token: "t"}, upstream.Result{}, nil
		}}
		s := newTestSessions(c, nil, 0, time.Hour)
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
		synctest.Wait() // the second caller has joined the flight
		cancel()
		synctest.Wait()
		close(release)
		// The call ran on the first caller's goroutine, which waits for it
		// whatever its own client does; both get the one session.
		if err := <-firstErr; err != nil {
			t.Fatalf("first caller: %v", err)
		}
		if err := <-second; err != nil {
			t.Fatalf("second caller: %v", err)
		}
		if sawCancel.Load() {
			t.Fatal("shared call saw the first caller's cancellation")
		}
	})
}

func TestMemoryStoreIsBounded(t *testing.T) {
	m := newMemoryStore(3)
	for i := range 10 {
		_ = m.Set(context.Background(), string(rune('a'+i)), upstream.Session{}, time.Minute)
	}
	if len(m.entries) > 3 {
		t.Fatalf("entries = %d, want <= 3", len(m.entries))
	}
}

func TestMemoryStoreExpires(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newMemoryStore(3)
		want := upstream.Session{URI: "u", Token: "t"}
		_ = m.Set(context.Background(), "k", want, time.Minute)
		time.Sleep(time.Minute - time.Nanosecond)
		if got, ok, _ := m.Get(context.Background(), "k"); !ok || !cmp.Equal(got, want) {
			t.Fatalf("Get before expiry = %+v, %v", got, ok)
		}
		time.Sleep(time.Nanosecond)
		if got, ok, _ := m.Get(context.Background(), "k"); ok || got != (upstream.Session{}) {
			t.Fatalf("Get at expiry = %+v, %v; want a miss", got, ok)
		}
	})
}

// TestPanicInSharedCallIsAnError: singleflight re-raises a panic on a
// goroutine of its own, which would end the process; callers get an error.
func TestPanicInSharedCallIsAnError(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	c := &fakeCreator{create: func(context.Context, string, []byte) (upstream.Session, upstream.Result, error) {
		<-release
		panic("bug in the upstream client")
	}}
	s := newTestSessions(c, nil, 0, time.Hour)
	errs := make(chan error, 3)
	for range 3 {
		go func() {
			_, _, err := s.Create(context.Background(), "user-1", "consumer-1", upstream.SessionRequest{})
			errs <- err
		}()
	}
	time.Sleep(50 * time.Millisecond) // let the callers join one call
	close(release)
	for range 3 {
		if err := <-errs; !errors.Is(err, ErrPanicked) {
			t.Fatalf("err = %v, want ErrPanicked", err)
		}
	}
}
