package simulator

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

const (
	testKey   = "sk_test_simulator"
	testApp   = "app_test"
	testOwner = "org_42"
)

// startSim serves a fresh simulator on a loopback httptest server whose URL
// is the vault origin.
func startSim(t *testing.T) (*Simulator, *httptest.Server) {
	t.Helper()
	sim := newSim(t)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	// Registered after srv.Close, so it runs first and frees held requests.
	t.Cleanup(sim.Reset)
	sim.SetVaultOrigin(srv.URL)
	return sim, srv
}

func newSim(t *testing.T) *Simulator {
	t.Helper()
	sim, err := New(Config{APIKey: testKey, AppID: testApp})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return sim
}

// serve hands one request straight to sim, without a socket: inside a
// synctest bubble, a goroutine waiting on the network would keep the fake
// clock from moving. A relative target is on http://example.com, which is
// then the origin of session URIs.
func serve(sim *Simulator, method, target string, h http.Header, body string) reply {
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	if h != nil {
		req.Header = h
	}
	rec := httptest.NewRecorder()
	sim.ServeHTTP(rec, req)
	return reply{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
}

// newSession is createSession through serve.
func newSession(t *testing.T, sim *Simulator, body string) (token, uri string) {
	t.Helper()
	r := serve(sim, http.MethodPost, "/vault/sessions", validHeaders(), body)
	if r.status != http.StatusOK {
		t.Fatalf("status = %d, body %s", r.status, truncate(r.body))
	}
	got := decode[sessionBody](t, r.body)
	return got.Data.SessionToken, got.Data.SessionURI
}

func validHeaders() http.Header {
	return http.Header{
		"Authorization":         {"Bearer " + testKey},
		"X-Apideck-App-Id":      {testApp},
		"X-Apideck-Consumer-Id": {testOwner},
		"Content-Type":          {"application/json"},
		"Accept":                {"application/json"},
	}
}

// reply is a response read in full.
type reply struct {
	status int
	header http.Header
	body   []byte
}

// post sends POST /vault/sessions and reads the whole answer.
func post(t *testing.T, ctx context.Context, url string, h http.Header, body string) (reply, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+"/vault/sessions", bytes.NewBufferString(body))
	if err != nil {
		t.Fatalf("NewRequest: %v", err)
	}
	req.Header = h
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return reply{status: resp.StatusCode, header: resp.Header, body: b}, err
}

// mustPost is post for calls expected to get a full answer.
func mustPost(t *testing.T, url string, h http.Header, body string) reply {
	t.Helper()
	r, err := post(t, t.Context(), url, h, body)
	if err != nil {
		t.Fatalf("POST /vault/sessions: %v", err)
	}
	return r
}

// get fetches a path of the simulator.
func get(t *testing.T, url string) reply {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: b}
}

// decode unmarshals b into a T, failing the test on error.
func decode[T any](t *testing.T, b []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decode %q: %v", truncate(b), err)
	}
	return v
}

// createSession makes a valid session and returns its token and URI.
func createSession(t *testing.T, url, body string) (token, uri string) {
	t.Helper()
	r := mustPost(t, url, validHeaders(), body)
	if r.status != http.StatusOK {
		t.Fatalf("status = %d, body %s", r.status, truncate(r.body))
	}
	got := decode[sessionBody](t, r.body)
	return got.Data.SessionToken, got.Data.SessionURI
}

func truncate(b []byte) []byte {
	if len(b) > 300 {
		return b[:300]
	}
	return b
}
