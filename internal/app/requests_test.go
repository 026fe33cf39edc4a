package app

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// sessionAnswer is the JSON success answer of /connect.
type sessionAnswer struct {
	SessionURI   string `json:"session_uri"`
	SessionToken string `json:"session_token"`
	ConsumerID   string `json:"consumer_id"`
	ExpiresAt    string `json:"expires_at"`
}

// wantSession decodes a 200 JSON answer of /connect from res.Body.
func wantSession(t *testing.T, res *http.Response) sessionAnswer {
	t.Helper()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status = %d, want 200 (%s)", res.StatusCode, body)
	}
	var s sessionAnswer
	if err := json.Unmarshal(body, &s); err != nil || s.SessionToken == "" {
		t.Fatalf("success body = %s (%v)", body, err)
	}
	return s
}

// noRedirect is a client that shows 302s instead of following them.
var noRedirect = &http.Client{
	Timeout:       10 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// do sends one request without following redirects and returns the answer
// with its body, which stays readable in res.Body for testkit.WantProblem
// and wantSession.
func do(t *testing.T, method, url string, header http.Header, body string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := readBody(res)
	return res, b
}

// readBody reads and closes res.Body, leaving a copy to read again.
func readBody(res *http.Response) ([]byte, error) {
	b, err := io.ReadAll(res.Body)
	res.Body.Close()
	res.Body = io.NopCloser(bytes.NewReader(b))
	return b, err
}

func bearer(tok string) http.Header { return http.Header{"Authorization": {"Bearer " + tok}} }
