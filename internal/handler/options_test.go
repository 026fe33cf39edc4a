package handler

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/vaultgate/vaultgate/internal/auth"
	"github.com/vaultgate/vaultgate/internal/testkit"
	"github.com/vaultgate/vaultgate/internal/upstream"
)

func TestConnectOptionsRefused(t *testing.T) {
	tests := []struct {
		name        string
		method      string
		target      string
		body        string
		contentType string
		wantStatus  int
		wantCode    string
	}{
		{"redirect not allowed", "GET", "/connect?redirect_uri=https://evil.example/", "", "", 400, codeInvalidRedirectURI},
		{"redirect other host", "GET", "/connect?redirect_uri=https://app.example.com.evil.example/settings/x", "", "", 400, codeInvalidRedirectURI},
		{"redirect prefix without boundary", "GET", "/connect?redirect_uri=https://app.example.com/settingsx", "", "", 400, codeInvalidRedirectURI},
		{"redirect empty", "GET", "/connect?redirect_uri=", "", "", 400, codeInvalidRedirectURI},
		{"unified api not offered", "GET", "/connect?unified_apis=crm,ats", "", "", 400, codeInvalidUnifiedAPIs},
		{"unified api unknown", "GET", "/connect?unified_apis=nope", "", "", 400, codeInvalidUnifiedAPIs},
		{"unified apis empty", "GET", "/connect?unified_apis=", "", "", 400, codeInvalidUnifiedAPIs},
		{"unified apis only commas", "GET", "/connect?unified_apis=,%20,", "", "", 400, codeInvalidUnifiedAPIs},
		{"repeated redirect_uri", "GET", "/connect?redirect_uri=https://app.example.com/done&redirect_uri=https://app.example.com/done", "", "", 400, codeInvalidRequest},
		{"repeated unified_apis", "GET", "/connect?unified_apis=crm&unified_apis=hris", "", "", 400, codeInvalidRequest},
		{"malformed query", "GET", "/connect?unified_apis=%zz", "", "", 400, codeInvalidRequest},
		{"POST repeated query key", "POST", "/connect?service_id=a&service_id=b", "", "", 400, codeInvalidRequest},
		{"body too large", "POST", "/connect", `{"redirect_uri":"` + strings.Repeat("a", maxBodyBytes) + `"}`, "application/json", 413, codeInvalidRequest},
		{"body not JSON", "POST", "/connect", `{"redirect_uri":`, "application/json", 400, codeInvalidRequest},
		{"body array", "POST", "/connect", `["crm"]`, "application/json", 400, codeInvalidRequest},
		{"body null", "POST", "/connect", `null`, "application/json", 400, codeInvalidRequest},
		{"body string", "POST", "/connect", `"crm"`, "application/json", 400, codeInvalidRequest},
		{"body unknown field", "POST", "/connect", `{"settings":{"sandbox_mode":false}}`, "application/json", 400, codeInvalidRequest},
		{"body field wrong case", "POST", "/connect", `{"Redirect_URI":"https://app.example.com/done"}`, "application/json", 400, codeInvalidRequest},
		{"body trailing data", "POST", "/connect", `{} {}`, "application/json", 400, codeInvalidRequest},
		{"body trailing garbage", "POST", "/connect", `{}x`, "application/json", 400, codeInvalidRequest},
		{"body unified_apis string", "POST", "/connect", `{"unified_apis":"crm"}`, "application/json", 400, codeInvalidRequest},
		{"body unified_apis numbers", "POST", "/connect", `{"unified_apis":[1]}`, "application/json", 400, codeInvalidRequest},
		{"body redirect number", "POST", "/connect", `{"redirect_uri":1}`, "application/json", 400, codeInvalidRequest},
		{"body service_id bool", "POST", "/connect", `{"service_id":true}`, "application/json", 400, codeInvalidRequest},
		{"body unified_apis empty", "POST", "/connect", `{"unified_apis":[]}`, "application/json", 400, codeInvalidUnifiedAPIs},
		{"body unified_apis not offered", "POST", "/connect", `{"unified_apis":["ats"]}`, "application/json", 400, codeInvalidUnifiedAPIs},
		{"body redirect refused", "POST", "/connect", `{"redirect_uri":"https://evil.example/"}`, "application/json", 400, codeInvalidRedirectURI},
		{"body wrong content type", "POST", "/connect", `{}`, "text/plain", 415, codeInvalidRequest},
		{"body form content type", "POST", "/connect", `redirect_uri=x`, "application/x-www-form-urlencoded", 415, codeInvalidRequest},
		{"body without content type", "POST", "/connect", `{}`, "", 415, codeInvalidRequest},
		{"body content type json-ish", "POST", "/connect", `{}`, "application/jsonx", 415, codeInvalidRequest},
		{"body field wins over query, and is refused", "POST", "/connect?unified_apis=crm", `{"unified_apis":["ats"]}`, "application/json", 400, codeInvalidUnifiedAPIs},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			r := authed(tt.method, tt.target, tt.body)
			if tt.contentType != "" {
				r.Header.Set("Content-Type", tt.contentType)
			}
			w := e.do(t, r)
			if w.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", w.Code, tt.wantStatus, w.Body)
			}
			testkit.WantProblem(t, w.Result(), tt.wantStatus, tt.wantCode)
			if n := len(e.sessions.Calls()); n != 0 {
				t.Errorf("%d sessions created for a refused request", n)
			}
		})
	}
}

// TestConnectSessionRequest checks what reaches the session layer: the
// configuration, the consumer and the narrowed options, nothing else.
func TestConnectSessionRequest(t *testing.T) {
	yes := true
	baseSettings := func(apis ...string) *upstream.Settings {
		return &upstream.Settings{UnifiedAPIs: apis, SandboxMode: &yes, AllowActions: []string{}, SessionLength: "30m"}
	}
	wantReq := func(redirect string, apis ...string) upstream.SessionRequest {
		return upstream.SessionRequest{
			ConsumerMetadata:       &upstream.ConsumerMetadata{AccountName: "Acme Corp", UserName: "Ann", Email: testEmail},
			RedirectURI:            redirect,
			Settings:               baseSettings(apis...),
			Theme:                  &upstream.Theme{PrimaryColor: "#286efa", VaultName: "Acme"},
			CustomConsumerSettings: map[string]any{"plan": "pro"},
		}
	}
	tests := []struct {
		name        string
		method      string
		target      string
		body        string
		contentType string
		want        upstream.SessionRequest
	}{
		{"no options: configured defaults", "GET", "/connect", "", "",
			wantReq("https://app.example.com/done", "crm", "accounting", "hris")},
		{"query narrows apis, trimmed and deduped", "GET", "/connect?unified_apis=%20hris%20,crm,hris,", "", "",
			wantReq("https://app.example.com/done", "hris", "crm")},
		{"query redirect under prefix", "GET", "/connect?redirect_uri=https://app.example.com/settings/integrations?tab=1", "", "",
			wantReq("https://app.example.com/settings/integrations?tab=1", "crm", "accounting", "hris")},
		{"unknown query params ignored", "GET", "/connect?foo=1&foo=2&theme=evil", "", "",
			wantReq("https://app.example.com/done", "crm", "accounting", "hris")},
		{"POST empty body", "POST", "/connect", "", "",
			wantReq("https://app.example.com/done", "crm", "accounting", "hris")},
		{"POST whitespace body", "POST", "/connect", " \n ", "",
			wantReq("https://app.example.com/done", "crm", "accounting", "hris")},
		{"POST empty object", "POST", "/connect", "{}", "application/json; charset=utf-8",
			wantReq("https://app.example.com/done", "crm", "accounting", "hris")},
		{"POST body narrows", "POST", "/connect", `{"redirect_uri":"https://app.example.com/settings/x","unified_apis":["accounting"]}`, "application/json",
			wantReq("https://app.example.com/settings/x", "accounting")},
		{"POST body wins over query", "POST", "/connect?unified_apis=crm&redirect_uri=https://app.example.com/settings/q", `{"unified_apis":["hris"]}`, "application/json",
			wantReq("https://app.example.com/settings/q", "hris")},
		{"POST null members are absent", "POST", "/connect?unified_apis=crm", `{"unified_apis":null,"redirect_uri":null,"service_id":null}`, "application/json",
			wantReq("https://app.example.com/done", "crm")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			r := authed(tt.method, tt.target, tt.body)
			if tt.contentType != "" {
				r.Header.Set("Content-Type", tt.contentType)
			}
			w := e.do(t, r)
			if w.Code >= 300 && w.Code != http.StatusFound {
				t.Fatalf("status = %d; body %s", w.Code, w.Body)
			}
			calls := e.sessions.Calls()
			if len(calls) != 1 {
				t.Fatalf("%d session calls, want 1", len(calls))
			}
			if calls[0].Subject != "user-1" || calls[0].ConsumerID != "org_42" {
				t.Errorf("subject, consumer = %q, %q", calls[0].Subject, calls[0].ConsumerID)
			}
			if diff := cmp.Diff(tt.want, calls[0].Req); diff != "" {
				t.Errorf("session request (-want +got):\n%s", diff)
			}
		})
	}
}

// A refused unified_apis says what is on offer: the ids are no secret.
func TestUnifiedAPIsRefusalListsOffer(t *testing.T) {
	for _, tt := range []struct {
		offered []string
		want    string
	}{
		{[]string{"crm", "accounting", "hris"}, "unified_apis must be a non-empty subset of: crm, accounting, hris."},
		{nil, "unified_apis must be a non-empty subset of: " + strings.Join(upstream.UnifiedAPIs, ", ") + "."},
	} {
		e := newEnv(t)
		e.deps.Connect.UnifiedAPIs = tt.offered
		w := e.do(t, authed("GET", "/connect?unified_apis=nope", ""))
		if p := testkit.WantProblem(t, w.Result(), http.StatusBadRequest, codeInvalidUnifiedAPIs); p.Detail != tt.want {
			t.Errorf("detail = %q, want %q", p.Detail, tt.want)
		}
	}
}

// TestConnectConfigNotMutated makes sure a request's narrowing never writes
// into the shared configuration.
func TestConnectConfigNotMutated(t *testing.T) {
	e := newEnv(t)
	e.sessions.create = func(_ context.Context, _, _ string, req upstream.SessionRequest) (upstream.Session, upstream.Result, error) {
		// A careless session layer scribbling on what it got.
		req.Settings.UnifiedAPIs[0] = "scribbled"
		req.Settings.AllowActions = append(req.Settings.AllowActions, "delete")
		req.Theme.VaultName = "scribbled"
		return sessionAt(testCreatedAt()), upstream.Result{}, nil
	}
	before := testConnectConfig(t)
	h := NewPublic(e.deps)
	for range 2 {
		h.ServeHTTP(httptest.NewRecorder(), authed("POST", "/connect", `{"unified_apis":["crm"]}`, "Content-Type", "application/json"))
		h.ServeHTTP(httptest.NewRecorder(), authed("GET", "/connect", ""))
	}
	got := e.deps.Connect
	if diff := cmp.Diff(before, got, cmpopts.IgnoreFields(ConnectConfig{}, "Redirects")); diff != "" {
		t.Errorf("config changed (-before +after):\n%s", diff)
	}
}

func TestDecodeBodyOptions(t *testing.T) {
	str := func(s string) *string { return &s }
	list := func(s ...string) *[]string {
		if s == nil {
			s = []string{}
		}
		return &s
	}
	tests := []struct {
		name    string
		body    string
		want    requestedOptions
		wantErr bool
	}{
		{"all fields", `{"redirect_uri":"r","unified_apis":["a","b"],"service_id":"s"}`,
			requestedOptions{redirectURI: str("r"), unifiedAPIs: list("a", "b"), serviceID: str("s")}, false},
		{"empty object", `{}`, requestedOptions{}, false},
		{"surrounding whitespace", " {} \n", requestedOptions{}, false},
		{"empty array kept as given", `{"unified_apis":[]}`, requestedOptions{unifiedAPIs: list()}, false},
		{"unknown field", `{"theme":{}}`, requestedOptions{}, true},
		{"unknown null field", `{"theme":null}`, requestedOptions{}, true},
		{"two objects", `{}{}`, requestedOptions{}, true},
		{"number", `1`, requestedOptions{}, true},
		{"nested wrong type", `{"unified_apis":[["crm"]]}`, requestedOptions{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got requestedOptions
			err := decodeBodyOptions([]byte(tt.body), &got)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(requestedOptions{})); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// FuzzConnectOptions feeds arbitrary queries and bodies through option
// decoding and narrowing: it must never panic, and whatever it accepts must
// lie within the configuration.
func FuzzConnectOptions(f *testing.F) {
	seeds := []struct{ query, body string }{
		{"", ""},
		{"unified_apis=crm,hris&service_id=x", ""},
		{"redirect_uri=https://app.example.com/settings/a", `{"unified_apis":["crm"],"service_id":"hubspot"}`},
		{"redirect_uri=https://app.example.com/settings/../admin", `{}`},
		{"unified_apis=%zz", `{"redirect_uri":null}`},
		{"a=1&a=2", `{"unified_apis":["crm","crm"," accounting "]}`},
		{"", `{"redirect_uri":"https://app.example.com/done"} x`},
		{"", `{"REDIRECT_URI":"https://evil.example/"}`},
		{"service_id=abc", `{"unified_apis":["hris"]}`},
		{"redirect_uri=https://app.example.com%2Fsettings%2F@evil.example", ""},
	}
	for _, s := range seeds {
		f.Add(s.query, []byte(s.body))
	}
	cfg := testConnectConfig(f)
	f.Fuzz(func(t *testing.T, query string, body []byte) {
		req, err := parseQueryOptions(query)
		if err != nil {
			return
		}
		if len(body) > 0 {
			if err := decodeBodyOptions(body, &req); err != nil {
				return
			}
		}
		o, err := narrow(cfg, req)
		if err != nil {
			if _, ok := err.(*refusal); !ok {
				t.Fatalf("narrow returned %T, want *refusal", err)
			}
			return
		}
		if o.redirectURI != cfg.DefaultRedirectURI &&
			!strings.HasPrefix(o.redirectURI, "https://app.example.com/settings/") {
			t.Fatalf("redirect %q outside the allow-list", o.redirectURI)
		}
		if len(o.unifiedAPIs) == 0 {
			t.Fatalf("accepted options send all unified APIs though %v are configured", cfg.UnifiedAPIs)
		}
		for _, api := range o.unifiedAPIs {
			if !slices.Contains(cfg.UnifiedAPIs, api) {
				t.Fatalf("unified API %q not configured", api)
			}
		}
		if o.serviceID != "" {
			if !validServiceID(o.serviceID) || len(o.unifiedAPIs) != 1 {
				t.Fatalf("bad deep link options %+v", o)
			}
		}
		sr := sessionRequest(cfg, auth.Consumer{ID: "c"}, o)
		if sr.RedirectURI != o.redirectURI || !slices.Equal(sr.Settings.UnifiedAPIs, o.unifiedAPIs) ||
			sr.Settings.SessionLength != cfg.Settings.SessionLength || *sr.Theme != *cfg.Theme {
			t.Fatalf("session request %+v not built from config and options %+v", sr, o)
		}
	})
}
