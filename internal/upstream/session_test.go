package upstream

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestSessionRequestJSON pins the wire format: unset fields are left out so
// Apideck's defaults apply, and allow_actions is sent as [] when set empty.
func TestSessionRequestJSON(t *testing.T) {
	t.Parallel()
	yes, no := true, false
	tests := []struct {
		name string
		req  SessionRequest
		want string
	}{
		{"zero", SessionRequest{}, `{}`},
		{"empty nested objects", SessionRequest{ConsumerMetadata: &ConsumerMetadata{}, Settings: &Settings{}, Theme: &Theme{}},
			`{"consumer_metadata":{},"settings":{},"theme":{}}`},
		{"allow_actions empty means none", SessionRequest{Settings: &Settings{AllowActions: []string{}, UnifiedAPIs: []string{}}},
			`{"settings":{"allow_actions":[]}}`},
		{"empty custom settings are left out", SessionRequest{CustomConsumerSettings: map[string]any{}}, `{}`},
		{"booleans sent only when set", SessionRequest{Settings: &Settings{SandboxMode: &yes, ShowLogs: &no}},
			`{"settings":{"sandbox_mode":true,"show_logs":false}}`},
		{"every field", SessionRequest{
			ConsumerMetadata: &ConsumerMetadata{AccountName: "Acme", UserName: "Ann", Email: "ann@acme.test", Image: "https://acme.test/a.png"},
			RedirectURI:      "https://app.acme.test/done?a=1&b=<2>",
			Settings: &Settings{
				UnifiedAPIs: []string{"crm", "hris"}, HideResourceSettings: &yes, SandboxMode: &no, IsolationMode: &yes,
				ShowLogs: &no, ShowSuggestions: &yes, ShowSidebar: &no, AutoRedirect: &yes, HideGuides: &no,
				AllowActions: []string{"delete"}, SessionLength: "30m",
			},
			Theme: &Theme{
				Favicon: "f", Logo: "l", PrimaryColor: "#286efa", SidepanelBackgroundColor: "#fff",
				SidepanelTextColor: "#000", VaultName: "Acme", PrivacyURL: "p", TermsURL: "t",
			},
			CustomConsumerSettings: map[string]any{"tax": 0.19},
		}, `{"consumer_metadata":{"account_name":"Acme","user_name":"Ann","email":"ann@acme.test","image":"https://acme.test/a.png"},` +
			`"redirect_uri":"https://app.acme.test/done?a=1\u0026b=\u003c2\u003e",` +
			`"settings":{"unified_apis":["crm","hris"],"hide_resource_settings":true,"sandbox_mode":false,"isolation_mode":true,` +
			`"show_logs":false,"show_suggestions":true,"show_sidebar":false,"auto_redirect":true,"hide_guides":false,` +
			`"allow_actions":["delete"],"session_length":"30m"},` +
			`"theme":{"favicon":"f","logo":"l","primary_color":"#286efa","sidepanel_background_color":"#fff",` +
			`"sidepanel_text_color":"#000","vault_name":"Acme","privacy_url":"p","terms_url":"t"},` +
			`"custom_consumer_settings":{"tax":0.19}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := json.Marshal(tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("json.Marshal\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestParseSession(t *testing.T) {
	t.Parallel()
	vault, err := ParseOrigin("https://Vault.Example.test")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name, uri, token string
		raw              string // used instead of uri/token when set
		want             error  // nil = accepted
	}{
		{"plain", "https://vault.example.test/session/abc", testToken, "", nil},
		{"host case differs", "HTTPS://VAULT.example.TEST/session/abc", testToken, "", nil},
		{"explicit default port", "https://vault.example.test:443/session/abc", testToken, "", nil},
		{"query and fragment", "https://vault.example.test/session/abc?x=1#y", testToken, "", nil},
		{"http scheme", "http://vault.example.test/session/abc", testToken, "", errForeignOrigin},
		{"other port", "https://vault.example.test:8443/session/abc", testToken, "", errForeignOrigin},
		{"other host", "https://vault.example.test.evil.test/session", testToken, "", errForeignOrigin},
		{"suffix host", "https://evilvault.example.test/session", testToken, "", errForeignOrigin},
		{"userinfo", "https://vault.example.test@evil.test/session", testToken, "", errForeignOrigin},
		{"userinfo on the right host", "https://user@vault.example.test/session", testToken, "", errForeignOrigin},
		{"relative", "/session/abc", testToken, "", errBadSessionURI},
		{"scheme-relative", "//vault.example.test/session/abc", testToken, "", errBadSessionURI},
		{"javascript", "javascript:alert(1)", testToken, "", errBadSessionURI},
		{"control character", "https://vault.example.test/\x00", testToken, "", errBadSessionURI},
		{"empty uri", "", testToken, "", errNoSessionURI},
		{"empty token", "https://vault.example.test/s", "", "", errNoSessionToken},
		{"token with space", "https://vault.example.test/s", "a b", "", errNoSessionToken},
		{"token with newline", "https://vault.example.test/s", "a\nb", "", errNoSessionToken},
		{"not JSON", "", "", "<html></html>", errNotJSON},
		{"no data", "", "", `{"status_code":200}`, errNoSessionURI},
		{"uri not a string", "", "", `{"data":{"session_uri":1,"session_token":"t"}}`, errNotJSON},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := []byte(tt.raw)
			if tt.raw == "" {
				body = sessionBody(tt.uri, tt.token)
			}
			got, err := parseSession(body, vault, now)
			if !errors.Is(err, tt.want) {
				t.Fatalf("parseSession error = %v, want %v", err, tt.want)
			}
			if err == nil && (got.URI != tt.uri || got.Token != tt.token || !got.CreatedAt.Equal(now)) {
				t.Errorf("session = %+v", got)
			}
			if err != nil && tt.uri != "" && strings.Contains(err.Error(), tt.uri) {
				t.Errorf("error %q quotes the session URI", err)
			}
		})
	}
}

// A foreign session_uri is logged with both origins, and only them.
func TestParseSessionNamesOrigins(t *testing.T) {
	t.Parallel()
	for uri, want := range map[string]string{
		"https://vault.example.test:8443/session/abc":  "expected https://vault.example.test, got https://vault.example.test:8443",
		"https://user:pw@vault.example.test/session/x": "expected https://vault.example.test, got https://vault.example.test with userinfo",
	} {
		_, err := parseSession(sessionBody(uri, testToken), "https://vault.example.test", time.Now())
		if !errors.Is(err, errForeignOrigin) || !strings.HasSuffix(err.Error(), want) {
			t.Errorf("%s: err = %v, want it to end %q", uri, err, want)
		}
		if strings.Contains(err.Error(), "/session") || strings.Contains(err.Error(), "pw") {
			t.Errorf("%s: error %q holds more than origins", uri, err)
		}
	}
}

func TestParseOrigin(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"https://vault.apideck.com", "https://vault.apideck.com"},
		{"HTTPS://Vault.Apideck.COM/", "https://vault.apideck.com"},
		{"https://vault.apideck.com:443", "https://vault.apideck.com"},
		{"http://localhost:8080", "http://localhost:8080"},
		{"http://127.0.0.1:80", "http://127.0.0.1"},
		{"https://[::1]:9443", "https://[::1]:9443"},
		{"https://[::1]:443", "https://[::1]"},
	}
	for _, tt := range tests {
		got, err := ParseOrigin(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseOrigin(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "vault.apideck.com", "ftp://x", "https://", "https://u@x", "https://x/p",
		"https://x?q", "https://x?", "https://x#f", "https://x#", "https://x/%2F", "https://x:port", "https://:443"} {
		got, err := ParseOrigin(bad)
		if err == nil {
			t.Errorf("ParseOrigin(%q) = %q, want an error", bad, got)
		} else if bad != "" && strings.Contains(err.Error(), bad) {
			t.Errorf("ParseOrigin(%q) error %q quotes the input", bad, err)
		}
	}
}

func TestErrorTypeName(t *testing.T) {
	t.Parallel()
	tests := []struct{ body, want string }{
		{`{"type_name":"UnauthorizedError","message":"Unauthorized Request"}`, "UnauthorizedError"},
		{`{"type_name":"RequestValidationError","detail":{"a":1}}`, "RequestValidationError"},
		{`{"type_name":"has space"}`, ""},
		{`{"type_name":"` + testKey + `\n"}`, ""},
		{`{"type_name":"` + strings.Repeat("A", 65) + `"}`, ""},
		{`{"type_name":7}`, ""},
		{`{"message":"no type"}`, ""},
		{`<html>`, ""},
		{``, ""},
	}
	for _, tt := range tests {
		if got := errorTypeName([]byte(tt.body)); got != tt.want {
			t.Errorf("errorTypeName(%.40q) = %q, want %q", tt.body, got, tt.want)
		}
	}
}
