package handler

import (
	"slices"
	"strings"
	"testing"

	"github.com/vaultgate/vaultgate/internal/auth"
)

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
	n := newNarrower(cfg)
	f.Fuzz(func(t *testing.T, query string, body []byte) {
		req, err := parseQueryOptions(query)
		if err != nil {
			return
		}
		if len(body) > 0 {
			b, err := decodeBodyOptions(body)
			if err != nil {
				return
			}
			req = req.override(b)
		}
		o, err := n.narrow(req)
		if err != nil {
			if _, ok := err.(*requestError); !ok {
				t.Fatalf("narrow returned %T, want *requestError", err)
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
			if !validServiceID(o.serviceID) || len(o.unifiedAPIs) != 1 || o.deepLinkAPI != o.unifiedAPIs[0] {
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
