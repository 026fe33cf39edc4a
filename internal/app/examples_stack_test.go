package app

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rs/zerolog"

	"github.com/vaultgate/vaultgate/internal/config"
	"github.com/vaultgate/vaultgate/internal/simulator"
)

const exampleAppID = "app-readme-examples"

// exampleStack is vaultgate configured by a README example, served on
// loopback against a simulated Apideck.
type exampleStack struct {
	env    map[string]string // every variable vaultgate was given
	sim    *simulator.Simulator
	simURL string
	public string
	logs   *syncBuffer
}

// startExample serves vaultgate with exactly vars plus the Apideck
// variables (pointing at a simulator) and VAULT_ORIGIN. It returns once
// /readyz answers 200 and stops when the test ends.
func startExample(t *testing.T, vars map[string]string) *exampleStack {
	t.Helper()
	sim, err := simulator.New(simulator.Config{APIKey: testAPIKey, AppID: exampleAppID})
	if err != nil {
		t.Fatal(err)
	}
	simSrv := httptest.NewServer(sim)
	t.Cleanup(simSrv.Close)
	sim.SetVaultOrigin(simSrv.URL)

	env := maps.Clone(vars)
	added := map[string]string{
		// The README tells operators to mount the key as a file.
		"APIDECK_API_KEY_FILE": writeExampleSecret(t, "apideck_api_key", testAPIKey+"\n"),
		"APIDECK_APP_ID":       exampleAppID,
		"APIDECK_BASE_URL":     simSrv.URL,
		"VAULT_ORIGIN":         simSrv.URL,
	}
	for k, v := range added {
		if _, clash := env[k]; clash {
			t.Fatalf("the README example sets %s itself; the test expects only authentication variables", k)
		}
		env[k] = v
	}
	cfg, err := config.Load(environ(env))
	if err != nil {
		t.Fatalf("vaultgate rejects the README example's configuration:\n%v", err)
	}

	pl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	al, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		pl.Close()
		t.Fatal(err)
	}
	s := &exampleStack{env: env, sim: sim, simURL: simSrv.URL, public: "http://" + pl.Addr().String(), logs: &syncBuffer{}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, cfg, zerolog.New(s.logs), Options{Public: pl, Admin: al}) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("server did not stop")
		}
		if t.Failed() {
			t.Logf("vaultgate log:\n%s", s.logs.String())
		}
	})
	waitReady(t, "http://"+al.Addr().String())
	return s
}

// writeExampleSecret writes content to a fresh file readable only by its owner,
// as a mounted secret would be, and returns its path.
func writeExampleSecret(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// assertLogsHold checks that none of secrets reached vaultgate's log.
func (s *exampleStack) assertLogsHold(t *testing.T, secrets ...string) {
	t.Helper()
	logs := s.logs.String()
	if !strings.Contains(logs, `"message":"request"`) {
		t.Fatal("no access log lines captured")
	}
	for i, sec := range secrets {
		if sec == "" {
			t.Fatalf("secret %d under test is empty", i)
		}
		if strings.Contains(logs, sec) {
			t.Errorf("log contains secret %d (%d chars)", i, len(sec))
		}
	}
}

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
func (s *exampleStack) expect(t *testing.T, cases []exampleCase) {
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
				s.checkSession(t, res, body, tc)
			case tc.login != "":
				s.checkLogin(t, res.Header.Get("Location"), tc.login)
			default:
				checkExampleProblem(t, res, body, tc.code)
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

func (s *exampleStack) checkSession(t *testing.T, res *http.Response, body []byte, tc exampleCase) {
	t.Helper()
	if tc.vault {
		if loc := res.Header.Get("Location"); !strings.HasPrefix(loc, s.simURL+"/session/") {
			t.Errorf("Location is not a session on the simulated Vault (%d chars)", len(loc))
		}
	} else {
		var got struct {
			SessionURI string `json:"session_uri"`
			ConsumerID string `json:"consumer_id"`
		}
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatalf("body is not JSON: %v", err)
		}
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
func (s *exampleStack) checkLogin(t *testing.T, loc, returnTo string) {
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

func checkExampleProblem(t *testing.T, res *http.Response, body []byte, code string) {
	t.Helper()
	if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("Content-Type = %q", ct)
	}
	var p struct {
		Code string `json:"code"`
	}
	if err := json.Unmarshal(body, &p); err != nil || p.Code != code {
		t.Errorf("problem code = %q, want %q", p.Code, code)
	}
	if res.StatusCode == http.StatusUnauthorized && !strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "Bearer") {
		t.Errorf("WWW-Authenticate = %q", res.Header.Get("WWW-Authenticate"))
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
