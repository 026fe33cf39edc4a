package simulator

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func wantError(status int, typeName, message string) errorBody {
	return errorBody{
		StatusCode: status,
		Error:      http.StatusText(status),
		TypeName:   typeName,
		Message:    message,
		Ref:        "https://developers.apideck.com/errors#" + strings.ToLower(typeName),
	}
}

func TestValidationErrors(t *testing.T) {
	badRequest := wantError(400, "RequestValidationError", "Invalid Params")
	missingHeader := wantError(400, "RequestHeadersValidationError", "Invalid Params")
	unauthorized := wantError(401, "UnauthorizedError", "Unauthorized Request")

	tests := []struct {
		name   string
		header func(h http.Header)
		body   string
		want   errorBody
	}{
		{"no authorization", func(h http.Header) { h.Del("Authorization") }, "", unauthorized},
		{"wrong key", func(h http.Header) { h.Set("Authorization", "Bearer sk_wrong") }, "", unauthorized},
		{"key without scheme", func(h http.Header) { h.Set("Authorization", testKey) }, "", unauthorized},
		{"basic scheme", func(h http.Header) { h.Set("Authorization", "Basic "+testKey) }, "", unauthorized},
		{"key prefix only", func(h http.Header) { h.Set("Authorization", "Bearer "+testKey[:5]) }, "", unauthorized},
		{"wrong app id", func(h http.Header) { h.Set("X-Apideck-App-Id", "other") }, "", unauthorized},
		{"missing app id", func(h http.Header) { h.Del("X-Apideck-App-Id") }, "", missingHeader},
		{"missing consumer id", func(h http.Header) { h.Del("X-Apideck-Consumer-Id") }, "", missingHeader},
		{"blank consumer id", func(h http.Header) { h.Set("X-Apideck-Consumer-Id", "  ") }, "", missingHeader},
		{"wrong key wins over missing consumer", func(h http.Header) {
			h.Set("Authorization", "Bearer x")
			h.Del("X-Apideck-Consumer-Id")
		}, "", unauthorized},
		{"body not JSON", nil, `{"redirect_uri":`, badRequest},
		{"body is an array", nil, `[]`, badRequest},
		{"body is null", nil, `null`, badRequest},
		{"body is a string", nil, `"x"`, badRequest},
		{"trailing garbage", nil, `{} {}`, badRequest},
		{"not JSON content type", func(h http.Header) { h.Set("Content-Type", "text/plain") }, `{}`, badRequest},
		{"unknown top-level key", nil, `{"consumer_id":"x"}`, badRequest},
		{"redirect_uri number", nil, `{"redirect_uri":1}`, badRequest},
		{"redirect_uri null", nil, `{"redirect_uri":null}`, badRequest},
		{"consumer_metadata not object", nil, `{"consumer_metadata":"x"}`, badRequest},
		{"account_name number", nil, `{"consumer_metadata":{"account_name":5}}`, badRequest},
		{"email bool", nil, `{"consumer_metadata":{"email":true}}`, badRequest},
		{"theme not object", nil, `{"theme":[]}`, badRequest},
		{"theme value number", nil, `{"theme":{"primary_color":123}}`, badRequest},
		{"vault_name object", nil, `{"theme":{"vault_name":{}}}`, badRequest},
		{"custom settings array", nil, `{"custom_consumer_settings":[1]}`, badRequest},
		{"custom settings null", nil, `{"custom_consumer_settings":null}`, badRequest},
		{"settings not object", nil, `{"settings":true}`, badRequest},
		{"unknown settings key", nil, `{"settings":{"dark_mode":true}}`, badRequest},
		{"unified_apis string", nil, `{"settings":{"unified_apis":"crm"}}`, badRequest},
		{"unified_apis unknown id", nil, `{"settings":{"unified_apis":["crm","banking"]}}`, badRequest},
		{"unified_apis wrong case", nil, `{"settings":{"unified_apis":["CRM"]}}`, badRequest},
		{"unified_apis number item", nil, `{"settings":{"unified_apis":[1]}}`, badRequest},
		{"allow_actions unknown", nil, `{"settings":{"allow_actions":["delete","destroy"]}}`, badRequest},
		{"allow_actions not array", nil, `{"settings":{"allow_actions":"delete"}}`, badRequest},
		{"boolean as string", nil, `{"settings":{"sandbox_mode":"true"}}`, badRequest},
		{"boolean as null", nil, `{"settings":{"show_logs":null}}`, badRequest},
		{"session_length number", nil, `{"settings":{"session_length":30}}`, badRequest},
		{"session_length no unit", nil, `{"settings":{"session_length":"30"}}`, badRequest},
		{"session_length seconds", nil, `{"settings":{"session_length":"30s"}}`, badRequest},
		{"session_length zero", nil, `{"settings":{"session_length":"0h"}}`, badRequest},
		{"session_length leading zero", nil, `{"settings":{"session_length":"01h"}}`, badRequest},
		{"session_length negative", nil, `{"settings":{"session_length":"-1h"}}`, badRequest},
		{"session_length compound", nil, `{"settings":{"session_length":"1h30m"}}`, badRequest},
		{"session_length spaces", nil, `{"settings":{"session_length":" 1h"}}`, badRequest},
		{"session_length over a week days", nil, `{"settings":{"session_length":"8d"}}`, badRequest},
		{"session_length over a week hours", nil, `{"settings":{"session_length":"169h"}}`, badRequest},
		{"session_length over a week minutes", nil, `{"settings":{"session_length":"10081m"}}`, badRequest},
		{"session_length huge", nil, `{"settings":{"session_length":"99999999999999999999d"}}`, badRequest},
	}
	_, srv := startSim(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := validHeaders()
			if tt.header != nil {
				tt.header(h)
			}
			r := mustPost(t, srv.URL, h, tt.body)
			if r.status != tt.want.StatusCode {
				t.Fatalf("status = %d, want %d; body %s", r.status, tt.want.StatusCode, r.body)
			}
			if ct := r.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q, want application/json", ct)
			}
			got := decode[errorBody](t, r.body)
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreFields(errorBody{}, "Detail")); diff != "" {
				t.Errorf("error body (-want +got):\n%s", diff)
			}
			if got.Detail == "" {
				t.Error("detail is empty; Apideck explains what was wrong")
			}
		})
	}
}

func TestValidationAccepts(t *testing.T) {
	tests := []struct {
		name string
		body string
	}{
		{"empty body", ""},
		{"whitespace body", " \n"},
		{"empty object", "{}"},
		{"every field", `{
			"consumer_metadata":{"account_name":"Acme","user_name":"Ann","email":"ann@acme.test","image":"https://acme.test/a.png"},
			"redirect_uri":"https://app.acme.test/done",
			"settings":{"unified_apis":["crm","hris"],"hide_resource_settings":true,"sandbox_mode":false,
				"isolation_mode":true,"show_logs":false,"show_suggestions":true,"show_sidebar":false,
				"auto_redirect":true,"hide_guides":true,"allow_actions":["delete","disconnect","reauthorize","disable"],
				"session_length":"30m"},
			"theme":{"favicon":"https://acme.test/f.ico","logo":"https://acme.test/l.png","primary_color":"#286efa",
				"sidepanel_background_color":"#fff","sidepanel_text_color":"#000","vault_name":"Acme",
				"privacy_url":"https://acme.test/p","terms_url":"https://acme.test/t"},
			"custom_consumer_settings":{"tax_rate":0.21,"flags":{"beta":true}}}`},
		{"empty allow_actions", `{"settings":{"allow_actions":[]}}`},
		{"all unified APIs by name", `{"settings":{"unified_apis":["accounting","ats","calendar","crm","csp","customer-support","ecommerce","email","email-marketing","expense-management","file-storage","form","hris","lead","payroll","pos","procurement","project-management","script","sms","spreadsheet","subscription-analytics","team-messaging","issue-tracking","time-registration","transactional-email","vault","data-warehouse"]}}`},
		{"one week in days", `{"settings":{"session_length":"7d"}}`},
		{"one week in hours", `{"settings":{"session_length":"168h"}}`},
		{"one week in minutes", `{"settings":{"session_length":"10080m"}}`},
		{"content type with charset", `{}`},
	}
	_, srv := startSim(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := validHeaders()
			if tt.name == "content type with charset" {
				h.Set("Content-Type", "application/json; charset=utf-8")
			}
			r := mustPost(t, srv.URL, h, tt.body)
			if r.status != http.StatusOK {
				t.Fatalf("status = %d, want 200; body %s", r.status, r.body)
			}
		})
	}
}

func TestParseSessionLength(t *testing.T) {
	tests := []struct {
		in     string
		want   string
		wantOK bool
	}{
		{"1m", "1m0s", true},
		{"30m", "30m0s", true},
		{"1h", "1h0m0s", true},
		{"2d", "48h0m0s", true},
		{"7d", "168h0m0s", true},
		{"", "0s", false},
		{"m", "0s", false},
		{"1", "0s", false},
		{"1w", "0s", false},
		{"1H", "0s", false},
		{"1.5h", "0s", false},
		{"8d", "192h0m0s", false},
		{"1000000m", "0s", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := parseSessionLength(tt.in)
			if ok != tt.wantOK || (ok && got.String() != tt.want) {
				t.Errorf("parseSessionLength(%q) = %v, %v; want %s, %v", tt.in, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}
