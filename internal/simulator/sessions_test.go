package simulator

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestNewRejectsBadConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{"no key", Config{AppID: "a"}},
		{"no app", Config{APIKey: "k"}},
		{"origin with path", Config{APIKey: "k", AppID: "a", VaultOrigin: "https://vault.test/x"}},
		{"origin not http", Config{APIKey: "k", AppID: "a", VaultOrigin: "ftp://vault.test"}},
		{"origin relative", Config{APIKey: "k", AppID: "a", VaultOrigin: "vault.test"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(tt.cfg); err == nil {
				t.Error("New accepted an invalid config")
			}
		})
	}
	if _, err := New(Config{APIKey: "k", AppID: "a", VaultOrigin: "http://127.0.0.1:8090/"}); err != nil {
		t.Errorf("New rejected a valid origin: %v", err)
	}
}

func TestSessionSuccessShape(t *testing.T) {
	_, srv := startSim(t)
	r := mustPost(t, srv.URL, validHeaders(), "")
	if r.status != http.StatusOK {
		t.Fatalf("status = %d, want 200; body %s", r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	// Decode loosely so an extra or renamed field shows up in the diff.
	got := decode[map[string]any](t, r.body)
	data, _ := got["data"].(map[string]any)
	token, _ := data["session_token"].(string)
	if strings.Count(token, ".") != 2 {
		t.Fatalf("session_token %q is not a compact JWS", token)
	}
	want := map[string]any{
		"status_code": float64(200),
		"status":      "OK",
		"data":        map[string]any{"session_uri": srv.URL + "/session/" + token, "session_token": token},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
}

func TestTokenCarriesRequest(t *testing.T) {
	yes, no := true, false
	tests := []struct {
		name     string
		body     string
		want     Claims // without IssuedAt and ExpiresAt
		lifetime time.Duration
	}{
		{
			name: "defaults",
			body: "",
			want: Claims{
				ConsumerID: testOwner, ApplicationID: testApp,
				Settings: Settings{UnifiedAPIs: unifiedAPIs()},
			},
			lifetime: time.Hour,
		},
		{
			name: "every field",
			body: `{"consumer_metadata":{"account_name":"Acme","user_name":"Ann","email":"ann@acme.test","image":"https://acme.test/a.png"},
				"redirect_uri":"https://app.acme.test/done",
				"settings":{"unified_apis":["crm","hris"],"sandbox_mode":true,"show_logs":false,"allow_actions":[],"session_length":"2d"},
				"theme":{"primary_color":"#123456","vault_name":"Acme Vault"},
				"custom_consumer_settings":{"tier":"gold"}}`,
			want: Claims{
				ConsumerID: testOwner, ApplicationID: testApp,
				ConsumerMetadata: &ConsumerMetadata{AccountName: "Acme", UserName: "Ann", Email: "ann@acme.test", Image: "https://acme.test/a.png"},
				RedirectURI:      "https://app.acme.test/done",
				Settings: Settings{
					UnifiedAPIs: []string{"crm", "hris"}, SandboxMode: &yes, ShowLogs: &no,
					AllowActions: []string{}, SessionLength: "2d",
				},
				Theme:                  &Theme{PrimaryColor: "#123456", VaultName: "Acme Vault"},
				CustomConsumerSettings: map[string]any{"tier": "gold"},
			},
			lifetime: 48 * time.Hour,
		},
		{
			name: "minutes",
			body: `{"settings":{"session_length":"30m"}}`,
			want: Claims{
				ConsumerID: testOwner, ApplicationID: testApp,
				Settings: Settings{UnifiedAPIs: unifiedAPIs(), SessionLength: "30m"},
			},
			lifetime: 30 * time.Minute,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// In a bubble the clock stands still, so the issue time is known.
			synctest.Test(t, func(t *testing.T) {
				sim := newSim(t)
				now := time.Now()
				token, _ := newSession(t, sim, tt.body)
				got, err := sim.VerifyToken(token)
				if err != nil {
					t.Fatalf("VerifyToken: %v", err)
				}
				want := tt.want
				want.IssuedAt, want.ExpiresAt = now, now.Add(tt.lifetime)
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("claims (-want +got):\n%s", diff)
				}
			})
		})
	}
}

func TestTokenFromAnotherSimulatorIsRejected(t *testing.T) {
	_, srv := startSim(t)
	other, _ := startSim(t)
	token, _ := createSession(t, srv.URL, "")
	if _, err := other.VerifyToken(token); err == nil {
		t.Error("a token signed by another simulator verified")
	}
}

func TestHeaderNamesAreCaseInsensitive(t *testing.T) {
	sim, srv := startSim(t)
	// Non-canonical keys are sent exactly as written by net/http's client.
	h := http.Header{
		"authorization":         {"Bearer " + testKey},
		"X-APIDECK-APP-ID":      {testApp},
		"x-apideck-consumer-id": {testOwner},
		"content-type":          {"application/json"},
	}
	r := mustPost(t, srv.URL, h, `{"settings":{"unified_apis":["crm"]}}`)
	if r.status != http.StatusOK {
		t.Fatalf("status = %d, body %s", r.status, r.body)
	}
	if got := sim.LastRequest().Header.Get("X-Apideck-Consumer-Id"); got != testOwner {
		t.Errorf("recorded consumer id = %q", got)
	}
}

func TestBearerSchemeIsCaseInsensitive(t *testing.T) {
	_, srv := startSim(t)
	h := validHeaders()
	h.Set("Authorization", "bearer "+testKey)
	if r := mustPost(t, srv.URL, h, ""); r.status != http.StatusOK {
		t.Errorf("status = %d, want 200", r.status)
	}
}

func TestMethodAndPath(t *testing.T) {
	_, srv := startSim(t)
	tests := []struct {
		method, path string
		want         int
		allow        string
	}{
		{http.MethodGet, "/vault/sessions", http.StatusMethodNotAllowed, "POST"},
		{http.MethodPut, "/vault/sessions", http.StatusMethodNotAllowed, "POST"},
		{http.MethodDelete, "/vault/sessions", http.StatusMethodNotAllowed, "POST"},
		{http.MethodPost, "/vault/session", http.StatusNotFound, ""},
		{http.MethodPost, "/vault/sessions/x", http.StatusNotFound, ""},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), tt.method, srv.URL+tt.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header = validHeaders()
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.want)
			}
			if got := resp.Header.Get("Allow"); got != tt.allow {
				t.Errorf("Allow = %q, want %q", got, tt.allow)
			}
		})
	}
}

func TestBodyTooLarge(t *testing.T) {
	sim, srv := startSim(t)
	body := `{"redirect_uri":"` + strings.Repeat("a", maxBodyBytes) + `"}`
	r := mustPost(t, srv.URL, validHeaders(), body)
	if r.status != http.StatusRequestEntityTooLarge {
		t.Errorf("status = %d, want 413", r.status)
	}
	if sim.Calls() != 1 {
		t.Errorf("Calls = %d, want 1", sim.Calls())
	}
}

func TestCallsAndLastRequest(t *testing.T) {
	sim, srv := startSim(t)
	if got := sim.LastRequest(); got.Header != nil || got.Body != nil {
		t.Errorf("LastRequest before any call = %+v, want zero", got)
	}
	mustPost(t, srv.URL, validHeaders(), `{"redirect_uri":"https://a.test/1"}`)
	h := validHeaders()
	h.Del("Authorization")
	mustPost(t, srv.URL, h, `{"redirect_uri":"https://a.test/2"}`) // rejected calls count too
	get(t, srv.URL+"/vault/sessions")                              // not a POST: not counted

	if got := sim.Calls(); got != 2 {
		t.Errorf("Calls = %d, want 2", got)
	}
	last := sim.LastRequest()
	if string(last.Body) != `{"redirect_uri":"https://a.test/2"}` {
		t.Errorf("LastRequest body = %s", last.Body)
	}
	if last.Header.Get("Authorization") != "" || last.Header.Get("X-Apideck-App-Id") != testApp {
		t.Errorf("LastRequest headers = %v", last.Header)
	}
	// The copy is the caller's own.
	last.Header.Set("X-Apideck-App-Id", "changed")
	last.Body[0] = 'X'
	again := sim.LastRequest()
	if again.Header.Get("X-Apideck-App-Id") != testApp || !bytes.HasPrefix(again.Body, []byte("{")) {
		t.Error("mutating the returned Recorded changed the simulator's copy")
	}

	sim.Reset()
	if got := sim.Calls(); got != 0 {
		t.Errorf("Calls after Reset = %d", got)
	}
	if got := sim.LastRequest(); got.Header != nil {
		t.Errorf("LastRequest after Reset = %+v", got)
	}
}

func TestConcurrentCalls(t *testing.T) {
	sim, srv := startSim(t)
	const n = 40
	var wg sync.WaitGroup
	tokens := make([]string, n)
	for i := range n {
		wg.Go(func() {
			r, err := post(t, t.Context(), srv.URL, validHeaders(), "")
			if err != nil || r.status != http.StatusOK {
				t.Errorf("call %d: status %d, err %v", i, r.status, err)
				return
			}
			var b sessionBody
			if err := json.Unmarshal(r.body, &b); err != nil {
				t.Errorf("call %d: %v", i, err)
			}
			tokens[i] = b.Data.SessionToken
		})
	}
	wg.Wait()
	if got := sim.Calls(); got != n {
		t.Errorf("Calls = %d, want %d", got, n)
	}
	slices.Sort(tokens)
	if len(slices.Compact(tokens)) != n {
		t.Error("two sessions got the same token")
	}
}
