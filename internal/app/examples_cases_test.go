package app

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vaultgate/vaultgate/internal/testkit"
)

// exampleCase is one request to /connect and what it must yield.
type exampleCase struct {
	name   string
	method string // POST when empty
	path   string // /connect when empty
	header http.Header
	status int
	code   string // problem code of an error

	consumer string         // consumer id of a created session
	metadata map[string]any // consumer_metadata Apideck received
	vault    bool           // a 302 to the session URI
	login    string         // a 302 to AUTH_LOGIN_URL; the expected return_to

	after func(t *testing.T) // further checks
}

// expect runs cases in order, each as a subtest.
func (s *stack) expect(t *testing.T, cases []exampleCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			method, path := tc.method, tc.path
			if method == "" {
				method = http.MethodPost
			}
			if path == "" {
				path = "/connect"
			}
			calls := s.sim.Calls()
			res, body := do(t, method, s.public+path, tc.header, "")
			if res.StatusCode != tc.status {
				t.Fatalf("status = %d, want %d: %s", res.StatusCode, tc.status, describeExampleBody(res, body))
			}
			if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control = %q", cc)
			}
			switch {
			case tc.consumer != "":
				s.checkSession(t, res, tc)
			case tc.login != "":
				s.checkLogin(t, res.Header.Get("Location"), tc.login)
			default:
				testkit.WantProblem(t, res, tc.status, tc.code)
			}
			want := 0
			if tc.consumer != "" {
				want = 1
			}
			if created := s.sim.Calls() - calls; created != want {
				t.Errorf("%d sessions requested from Apideck, want %d", created, want)
			}
			if tc.after != nil {
				tc.after(t)
			}
		})
	}
}

func (s *stack) checkSession(t *testing.T, res *http.Response, tc exampleCase) {
	t.Helper()
	if tc.vault {
		if loc := res.Header.Get("Location"); !strings.HasPrefix(loc, s.simURL+"/session/") {
			t.Errorf("Location is not a session on the simulated Vault (%d chars)", len(loc))
		}
	} else {
		got := wantSession(t, res)
		if got.ConsumerID != tc.consumer || !strings.HasPrefix(got.SessionURI, s.simURL+"/session/") {
			t.Errorf("consumer_id = %q (want %q), session_uri on the simulated Vault: %t",
				got.ConsumerID, tc.consumer, strings.HasPrefix(got.SessionURI, s.simURL+"/session/"))
		}
	}
	rec := s.sim.LastRequest()
	if got := rec.Header.Get("x-apideck-consumer-id"); got != tc.consumer {
		t.Errorf("x-apideck-consumer-id = %q, want %q", got, tc.consumer)
	}
	var sent struct {
		Metadata map[string]any `json:"consumer_metadata"`
	}
	if err := json.Unmarshal(rec.Body, &sent); err != nil {
		t.Fatalf("session request body: %v", err)
	}
	if diff := cmp.Diff(tc.metadata, sent.Metadata); diff != "" {
		t.Errorf("consumer_metadata sent to Apideck (-want +got):\n%s", diff)
	}
}

// checkLogin expects loc to be the example's AUTH_LOGIN_URL with return_to added.
func (s *stack) checkLogin(t *testing.T, loc, returnTo string) {
	t.Helper()
	want, err := url.Parse(s.env["AUTH_LOGIN_URL"])
	if err != nil || want.Host == "" {
		t.Fatalf("the example's AUTH_LOGIN_URL %q is not an absolute URL", s.env["AUTH_LOGIN_URL"])
	}
	got, err := url.Parse(loc)
	if err != nil {
		t.Fatalf("Location %q: %v", loc, err)
	}
	if got.Scheme != want.Scheme || got.Host != want.Host || got.Path != want.Path {
		t.Errorf("Location = %q, want the login page %s", loc, want)
	}
	wantQuery := want.Query()
	wantQuery.Set("return_to", returnTo)
	if diff := cmp.Diff(wantQuery, got.Query()); diff != "" {
		t.Errorf("login query (-want +got):\n%s", diff)
	}
}

// describeExampleBody shows a problem body in full, and of any other body only its
// size: a session body holds a bearer credential.
func describeExampleBody(res *http.Response, body []byte) string {
	if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
		return fmt.Sprintf("%d-byte %q body", len(body), ct)
	}
	return string(body)
}
