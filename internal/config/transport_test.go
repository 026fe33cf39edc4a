package config

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestCleartextURLs: the API key never goes over plain http beyond
// loopback unless asked for; other plain-http URLs start with a warning.
func TestCleartextURLs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  map[string]string
		want []string // Config.Cleartext
	}{
		{"https everywhere", requiredEnv(), nil},
		{"loopback base URL", with(requiredEnv(), map[string]string{"APIDECK_BASE_URL": "http://127.0.0.1:4000"}), nil},
		{"localhost base URL", with(requiredEnv(), map[string]string{"APIDECK_BASE_URL": "http://localhost:4000"}), nil},
		{"IPv6 loopback base URL", with(requiredEnv(), map[string]string{"APIDECK_BASE_URL": "http://[::1]:4000"}), nil},
		{"opted-in base URL", with(requiredEnv(), map[string]string{
			"APIDECK_BASE_URL": "http://apideck-sim:4000", "APIDECK_ALLOW_HTTP": "true"}), nil},
		{"JWKS", with(requiredEnv(), map[string]string{"AUTH_JWKS_URL": "http://idp.example.test/jwks"}), []string{"AUTH_JWKS_URL"}},
		{"loopback JWKS", with(requiredEnv(), map[string]string{"AUTH_JWKS_URL": "http://127.0.0.1:9/jwks"}), nil},
		{"OIDC issuer", with(oidcEnv(), map[string]string{"AUTH_OIDC_ISSUER": "http://idp.example.test/"}), []string{"AUTH_OIDC_ISSUER"}},
		{"forward", with(forwardEnv(), map[string]string{"AUTH_FORWARD_URL": "http://app/api/me"}), []string{"AUTH_FORWARD_URL"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, mustParse(t, tt.env).Cleartext); diff != "" {
				t.Errorf("cleartext warnings (-want +got):\n%s", diff)
			}
		})
	}
}

// TestThemeSentAsGiven: Vault takes any CSS colour, and a page's address
// may carry a query or a fragment.
func TestThemeSentAsGiven(t *testing.T) {
	t.Parallel()
	c := mustParse(t, with(requiredEnv(), map[string]string{
		"VAULT_THEME_PRIMARY_COLOR":              "hsl(220 90% 56%)",
		"VAULT_THEME_SIDEPANEL_BACKGROUND_COLOR": "teal",
		"VAULT_THEME_SIDEPANEL_TEXT_COLOR":       "rgb(40, 110, 250)",
		"VAULT_THEME_LOGO":                       "https://cdn.example.test/logo.svg#light",
		"VAULT_THEME_FAVICON":                    "https://cdn.example.test/favicon.ico?v=2",
	}))
	th := c.Connect.Theme
	got := []string{th.PrimaryColor, th.SidepanelBackgroundColor, th.SidepanelTextColor, th.Logo, th.Favicon}
	want := []string{"hsl(220 90% 56%)", "teal", "rgb(40, 110, 250)", "https://cdn.example.test/logo.svg#light", "https://cdn.example.test/favicon.ico?v=2"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("theme (-want +got):\n%s", diff)
	}
}

// TestEmailConsumerNeedsVerification: only jwt mode's tokens carry
// email_verified; header mode's address comes from the proxy.
func TestEmailConsumerNeedsVerification(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		env  map[string]string
		want bool
	}{
		{with(requiredEnv(), map[string]string{"CONSUMER_ID_CLAIM": "email"}), true},
		{requiredEnv(), false},
		{with(headerEnv(), map[string]string{"CONSUMER_ID_CLAIM": "email"}), false},
	} {
		if got := mustParse(t, tt.env).Connect.Mapping.VerifiedEmail; got != tt.want {
			t.Errorf("CONSUMER_ID_CLAIM=%q, AUTH_MODE=%q: VerifiedEmail = %v, want %v",
				tt.env["CONSUMER_ID_CLAIM"], tt.env["AUTH_MODE"], got, tt.want)
		}
	}
}
