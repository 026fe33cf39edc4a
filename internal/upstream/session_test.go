package upstream

import (
	"encoding/json"
	"testing"
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
