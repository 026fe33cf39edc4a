package auth

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"
)

// blockingApp answers only when release is closed, and reports on gone
// each request whose context ended first: the lookup was abandoned.
func blockingApp(release <-chan struct{}, gone chan<- struct{}) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
			sessionApp(w, r)
		case <-r.Context().Done():
			gone <- struct{}{}
		}
	}
}

// TestForwardAbandonsLookupWhenEveryWaiterHasGone: a client that hangs up
// must not leave a lookup running, unless someone else still waits on it.
func TestForwardAbandonsLookupWhenEveryWaiterHasGone(t *testing.T) {
	release, gone := make(chan struct{}), make(chan struct{}, 4)
	defer close(release)
	f, app := newForwardFor(t, blockingApp(release, gone), ForwardConfig{Timeout: 10 * time.Second})

	ctx1, cancel1 := context.WithCancel(context.Background())
	ctx2, cancel2 := context.WithCancel(context.Background())
	errs := make(chan error, 2)
	for _, ctx := range []context.Context{ctx1, ctx2} {
		go func() {
			_, err := f.Authenticate(cookieRequest("valid").WithContext(ctx))
			errs <- err
		}()
	}
	waitFor(t, func() bool { return app.calls.Load() == 1 && f.waiters() == 2 })
	cancel1()
	if err := <-errs; !errors.Is(err, ErrUnavailable) {
		t.Fatalf("first caller: err = %v, want ErrUnavailable", err)
	}
	select {
	case <-gone:
		t.Fatal("lookup abandoned while a second request still waited on it")
	case <-time.After(100 * time.Millisecond):
	}
	cancel2()
	<-errs
	select {
	case <-gone:
	case <-time.After(5 * time.Second):
		t.Fatal("lookup still running after every request waiting on it had gone")
	}
	if app.calls.Load() != 1 {
		t.Fatalf("app calls = %d, want 1 (shared)", app.calls.Load())
	}
}

// TestForwardBoundsLookupsInFlight: beyond MaxConcurrency, a request waits
// about a second and is answered auth_unavailable without reaching the app.
func TestForwardBoundsLookupsInFlight(t *testing.T) {
	release, gone := make(chan struct{}), make(chan struct{}, 8)
	f, app := newForwardFor(t, blockingApp(release, gone), ForwardConfig{Timeout: 10 * time.Second, MaxConcurrency: 2})
	errs := make(chan error, 3)
	for _, cookie := range []string{"a", "b"} {
		go func() {
			_, err := f.Authenticate(cookieRequest(cookie))
			errs <- err
		}()
	}
	waitFor(t, func() bool { return app.calls.Load() == 2 })
	start := time.Now()
	_, err := f.Authenticate(cookieRequest("c"))
	var ae *Error
	if !errors.As(err, &ae) || ae.Class != ErrUnavailable || time.Since(start) < forwardSlotWait/2 {
		t.Fatalf("third lookup: err = %v after %v, want ErrUnavailable after waiting", err, time.Since(start))
	}
	if app.calls.Load() != 2 {
		t.Fatalf("app calls = %d, want 2 (the bound)", app.calls.Load())
	}
	close(release)
	for range 2 {
		<-errs
	}
	// Slots are released: another lookup gets through.
	if _, err := f.Authenticate(cookieRequest("valid")); err != nil {
		t.Fatalf("after the flood: %v", err)
	}
}

// panicTransport stands for a bug below the lookup.
type panicTransport struct{}

func (panicTransport) RoundTrip(*http.Request) (*http.Response, error) { panic("bug") }

func TestForwardPanicIsUnavailable(t *testing.T) {
	f, _ := newForwardFor(t, sessionApp, ForwardConfig{})
	f.client.Transport = panicTransport{}
	if _, err := f.Authenticate(cookieRequest("valid")); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
}

// TestForwardSubjectOnlyFromTheApp: without sub, id or user_id the subject
// is empty (per-user limits then count the consumer), never derived from
// the cookies, which a client can vary at will.
func TestForwardSubjectOnlyFromTheApp(t *testing.T) {
	f, _ := newForwardFor(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"org_id": "acme"}`))
	}, ForwardConfig{})
	for _, cookie := range []string{"_app_session=x", "_app_session=x; junk=1"} {
		r := cookieRequest("")
		r.Header.Set("Cookie", cookie)
		id, err := f.Authenticate(r)
		if err != nil || id.Subject != "" {
			t.Fatalf("cookie %q: subject %q, err %v; want empty", cookie, id.Subject, err)
		}
	}
}

// waiters counts the requests waiting on lookups.
func (f *Forward) waiters() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		n += c.waiters
	}
	return n
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
	}
}
