package config

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vaultgate/vaultgate/internal/upstream"
)

func TestAllowActions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		env      map[string]string
		want     []string
		wantJSON string // settings as sent to Apideck
	}{
		{"unset is not sent", requiredEnv(), nil, `{}`},
		{"empty sends []", with(requiredEnv(), map[string]string{"VAULT_ALLOW_ACTIONS": ""}), []string{}, `{"allow_actions":[]}`},
		{"blank sends []", with(requiredEnv(), map[string]string{"VAULT_ALLOW_ACTIONS": " , "}), []string{}, `{"allow_actions":[]}`},
		{
			"list trimmed and deduplicated",
			with(requiredEnv(), map[string]string{"VAULT_ALLOW_ACTIONS": " delete, disconnect,delete "}),
			[]string{"delete", "disconnect"}, `{"allow_actions":["delete","disconnect"]}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := mustParse(t, tt.env).Connect.Settings
			if diff := cmp.Diff(tt.want, got.AllowActions); diff != "" || (tt.want == nil) != (got.AllowActions == nil) {
				t.Errorf("AllowActions = %#v, want %#v", got.AllowActions, tt.want)
			}
			j, err := json.Marshal(got)
			if err != nil {
				t.Fatal(err)
			}
			if string(j) != tt.wantJSON {
				t.Errorf("settings JSON = %s, want %s", j, tt.wantJSON)
			}
		})
	}
}

func TestSessionLength(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in       string
		verbatim string
		want     time.Duration
	}{
		{"", "", time.Hour},
		{"1m", "1m", time.Minute},
		{"30m", "30m", 30 * time.Minute},
		{" 2h ", "2h", 2 * time.Hour},
		{"10080m", "10080m", 7 * 24 * time.Hour},
		{"168h", "168h", 7 * 24 * time.Hour},
		{"7d", "7d", 7 * 24 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			c := mustParse(t, with(requiredEnv(), map[string]string{"VAULT_SESSION_LENGTH": tt.in}))
			if c.Connect.Settings.SessionLength != tt.verbatim || c.Connect.SessionLength != tt.want {
				t.Errorf("got %q/%s, want %q/%s", c.Connect.Settings.SessionLength, c.Connect.SessionLength, tt.verbatim, tt.want)
			}
		})
	}
}

func TestSettingsAndTheme(t *testing.T) {
	t.Parallel()
	c := mustParse(t, with(requiredEnv(), map[string]string{
		"VAULT_UNIFIED_APIS":                     " crm, accounting ,crm,,file-storage",
		"VAULT_SETTINGS_SANDBOX_MODE":            "true",
		"VAULT_SETTINGS_SHOW_LOGS":               "0",
		"VAULT_SETTINGS_HIDE_GUIDES":             "FALSE",
		"VAULT_THEME_PRIMARY_COLOR":              "#286efa",
		"VAULT_THEME_SIDEPANEL_TEXT_COLOR":       "#FFF",
		"VAULT_THEME_VAULT_NAME":                 " Acme Integrations ",
		"VAULT_THEME_LOGO":                       "https://cdn.example.test/logo.svg?v=2",
		"VAULT_THEME_TERMS_URL":                  "http://127.0.0.1:8080/terms",
		"VAULT_THEME_SIDEPANEL_BACKGROUND_COLOR": "",
	}))
	tru, fls := true, false
	wantSettings := upstream.Settings{SandboxMode: &tru, ShowLogs: &fls, HideGuides: &fls}
	if diff := cmp.Diff(wantSettings, c.Connect.Settings); diff != "" {
		t.Errorf("settings (-want +got):\n%s", diff)
	}
	wantTheme := &upstream.Theme{
		PrimaryColor:       "#286efa",
		SidepanelTextColor: "#FFF",
		VaultName:          "Acme Integrations",
		Logo:               "https://cdn.example.test/logo.svg?v=2",
		TermsURL:           "http://127.0.0.1:8080/terms",
	}
	if diff := cmp.Diff(wantTheme, c.Connect.Theme); diff != "" {
		t.Errorf("theme (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"crm", "accounting", "file-storage"}, c.Connect.UnifiedAPIs); diff != "" {
		t.Errorf("unified APIs (-want +got):\n%s", diff)
	}
	if mustParse(t, requiredEnv()).Connect.Theme != nil {
		t.Error("Theme must be nil when no VAULT_THEME_* is set")
	}
}

func TestCustomConsumerSettings(t *testing.T) {
	t.Parallel()
	c := mustParse(t, with(requiredEnv(), map[string]string{
		"VAULT_CUSTOM_CONSUMER_SETTINGS": `{"tax_rate": 0.21, "big": 12345678901234567890, "flags": {"beta": true}}`,
	}))
	want := map[string]any{
		"tax_rate": json.Number("0.21"),
		"big":      json.Number("12345678901234567890"),
		"flags":    map[string]any{"beta": true},
	}
	if diff := cmp.Diff(want, c.Connect.Mapping.BaseSettings); diff != "" {
		t.Errorf("settings (-want +got):\n%s", diff)
	}
	j, err := json.Marshal(c.Connect.Mapping.BaseSettings)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(j), `"big":12345678901234567890`) {
		t.Errorf("large integer not kept exact: %s", j)
	}
	if got := mustParse(t, with(requiredEnv(), map[string]string{"VAULT_CUSTOM_CONSUMER_SETTINGS": "{}"})); got.Connect.Mapping.BaseSettings == nil {
		t.Error("{} is a valid, empty object")
	}
}

func TestRedirects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		set         map[string]string
		wantDefault string
		allowed     []string
		refused     []string
	}{
		{
			name:    "none configured allows nothing",
			refused: []string{"https://app.example.test/"},
		},
		{
			name:        "allow-list defaults to the default redirect",
			set:         map[string]string{"VAULT_REDIRECT_URI": "HTTPS://App.Example.TEST:443/integrations/done"},
			wantDefault: "https://app.example.test/integrations/done",
			allowed:     []string{"https://app.example.test/integrations/done"},
			refused:     []string{"https://app.example.test/integrations/done/x", "https://app.example.test/"},
		},
		{
			name: "default must pass the explicit list",
			set: map[string]string{
				"VAULT_REDIRECT_URI":          "https://app.example.test/settings/integrations",
				"VAULT_ALLOWED_REDIRECT_URIS": "https://app.example.test/settings/, http://localhost:3000/",
			},
			wantDefault: "https://app.example.test/settings/integrations",
			allowed:     []string{"https://app.example.test/settings/x", "http://localhost:3000/cb"},
			refused:     []string{"https://app.example.test/other", "https://evil.example/settings/"},
		},
		{
			name:    "explicit list without a default",
			set:     map[string]string{"VAULT_ALLOWED_REDIRECT_URIS": "https://app.example.test/cb"},
			allowed: []string{"https://app.example.test/cb"},
			refused: []string{"https://app.example.test/cb/x"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := mustParse(t, with(requiredEnv(), tt.set))
			if c.Connect.DefaultRedirectURI != tt.wantDefault {
				t.Errorf("default = %q, want %q", c.Connect.DefaultRedirectURI, tt.wantDefault)
			}
			for _, u := range tt.allowed {
				if _, err := c.Connect.Redirects.Check(u); err != nil {
					t.Errorf("%s refused: %v", u, err)
				}
			}
			for _, u := range tt.refused {
				if _, err := c.Connect.Redirects.Check(u); err == nil {
					t.Errorf("%s allowed", u)
				}
			}
		})
	}
}
