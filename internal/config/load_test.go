package config

import (
	"time"

	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vaultgate/vaultgate/internal/testkit"
)

// TestLoad reads environments in os.Environ's form, side by side.
func TestLoad(t *testing.T) {
	t.Parallel()
	required := testkit.Environ(requiredEnv())
	tests := []struct {
		name     string
		environ  []string
		wantVars []string
		check    func(t *testing.T, c Config)
	}{
		{name: "required only", environ: required},
		{
			name:    "allow actions set but empty",
			environ: append(required, "VAULT_ALLOW_ACTIONS="),
			check: func(t *testing.T, c Config) {
				if a := c.Connect.Settings.AllowActions; a == nil || len(a) != 0 {
					t.Errorf("AllowActions = %#v, want empty and non-nil", a)
				}
			},
		},
		{
			name:    "allow actions unset",
			environ: required,
			check: func(t *testing.T, c Config) {
				if a := c.Connect.Settings.AllowActions; a != nil {
					t.Errorf("AllowActions = %#v, want nil", a)
				}
			},
		},
		{
			name:    "a value holding '=' and a name without one",
			environ: append(required, "VAULT_THEME_VAULT_NAME=a=b", "JUNK"),
			check: func(t *testing.T, c Config) {
				if c.Connect.Theme == nil || c.Connect.Theme.VaultName != "a=b" {
					t.Errorf("theme = %+v, want vault name a=b", c.Connect.Theme)
				}
			},
		},
		{
			name:    "the first of a repeated name wins, as in os.Getenv",
			environ: append(required, "LOG_LEVEL=warn", "LOG_LEVEL=verbose"),
			check: func(t *testing.T, c Config) {
				if c.LogLevel.String() != "warn" {
					t.Errorf("log level = %s, want warn", c.LogLevel)
				}
			},
		},
		{
			name:     "typo in a family",
			environ:  append(required, "VAULT_THEME_COLOUR=#abc"),
			wantVars: []string{"VAULT_THEME_COLOUR"},
		},
		{
			name:     "bad value",
			environ:  testkit.Environ(with(requiredEnv(), map[string]string{"APIDECK_TIMEOUT": "fast"}, "APIDECK_APP_ID")),
			wantVars: []string{"APIDECK_TIMEOUT", "APIDECK_APP_ID"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := Load(tt.environ)
			if diff := cmp.Diff(tt.wantVars, problemVars(t, err)); diff != "" {
				t.Fatalf("problems (-want +got):\n%s\n%v", diff, err)
			}
			if tt.check != nil {
				tt.check(t, c)
			}
		})
	}
}

func TestListenAddr(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		environ []string
		want    string
		wantErr bool
	}{
		{"ADMIN_ADDR", nil, ":9090", false},
		{"HTTP_ADDR", nil, ":8080", false},
		{"ADMIN_ADDR", []string{"ADMIN_ADDR= "}, ":9090", false},
		{"ADMIN_ADDR", []string{"ADMIN_ADDR=127.0.0.1:9999"}, "127.0.0.1:9999", false},
		// Nothing else is read: a broken configuration does not stop a probe.
		{"ADMIN_ADDR", []string{"ADMIN_ADDR=:9191", "APIDECK_TIMEOUT=soon", "HTTP_ADDR=:9191"}, ":9191", false},
		{"ADMIN_ADDR", []string{"ADMIN_ADDR=9191"}, ":9090", true},
		{"HTTP_ADDR", []string{"HTTP_ADDR=:99999"}, ":8080", true},
	}
	for _, tt := range tests {
		got, err := ListenAddr(tt.environ, tt.name)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("ListenAddr(%q, %s) = %q, %v; want %q, error %v", tt.environ, tt.name, got, err, tt.want, tt.wantErr)
		}
	}
}

// LoadDemo reads DEMO_AUTH_MODE and takes the account and authentication
// from its defaults whatever the environment says.
func TestLoadDemo(t *testing.T) {
	t.Parallel()
	d := Defaults()
	d.APIKey = NewSecret("demo_key")
	d.Upstream.AppID, d.Upstream.BaseURL, d.Upstream.VaultOrigin = "demo", "http://127.0.0.1:4000", "http://127.0.0.1:4000"
	d.JWT.JWKSURL, d.JWT.Algorithms = "http://127.0.0.1:4000/jwks.json", []string{"ES256"}
	d.Forward.URL = "http://127.0.0.1:4000/me"
	d.Connect.UnifiedAPIs = []string{"crm", "hris"}
	hostile := []string{
		"APIDECK_API_KEY=sk_live_real", "APIDECK_BASE_URL=https://unify.apideck.com", "VAULT_ORIGIN=https://vault.apideck.com",
		"AUTH_MODE=header", "AUTH_JWKS_URL=https://evil.example/jwks", "AUTH_FORWARD_URL=https://evil.example/me",
	}
	tests := []struct {
		name    string
		value   string
		set     bool
		want    string
		wantErr bool
	}{
		{"unset", "", false, ModeJWT, false},
		{"empty", "", true, ModeJWT, false},
		{"jwt", "jwt", true, ModeJWT, false},
		{"forward", "forward", true, ModeForward, false},
		{"case and spaces", " Forward ", true, ModeForward, false},
		{"header is not a demo mode", "header", true, "", true},
		{"unknown", "cookie", true, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := hostile
			if tt.set {
				env = append(env[:len(env):len(env)], "DEMO_AUTH_MODE="+tt.value)
			}
			c, err := LoadDemo(env, d)
			if c.AuthMode != tt.want || (err != nil) != tt.wantErr {
				t.Fatalf("LoadDemo(DEMO_AUTH_MODE=%q) = %q, %v; want %q, error %v", tt.value, c.AuthMode, err, tt.want, tt.wantErr)
			}
			if err != nil {
				return
			}
			if c.APIKey.Reveal() != "demo_key" || c.Upstream.BaseURL != d.Upstream.BaseURL ||
				c.Upstream.VaultOrigin != d.Upstream.VaultOrigin || c.Connect.VaultOrigin != d.Upstream.VaultOrigin {
				t.Errorf("the demo's account was replaced: %+v", c.Upstream)
			}
			if tt.want == ModeJWT && c.JWT.JWKSURL != d.JWT.JWKSURL || tt.want == ModeForward && c.Forward.URL != d.Forward.URL {
				t.Errorf("the demo's authentication was replaced: %+v %+v", c.JWT, c.Forward)
			}
			if diff := cmp.Diff([]string{"crm", "hris"}, c.Connect.UnifiedAPIs); diff != "" {
				t.Errorf("demo default lost (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadEvents(t *testing.T) {
	t.Parallel()
	c, err := fromMap(with(requiredEnv(), map[string]string{
		"APIDECK_WEBHOOK_PATH": "/webhooks/apideck-7f3a", "EVENTS_RELAY_URL": "https://app.example.test/events",
		"EVENTS_RELAY_SECRET": testRelaySecret + " " + testRelaySecret, "EVENTS_RELAY_TIMEOUT": "30s", "EVENTS_MAX_STREAMS": "50",
	}))
	if err != nil {
		t.Fatal(err)
	}
	e := c.Events
	if e.WebhookPath != "/webhooks/apideck-7f3a" || e.RelayURL != "https://app.example.test/events" ||
		e.RelaySecret.Reveal() != testRelaySecret+" "+testRelaySecret || e.RelayTimeout != 30*time.Second || e.MaxStreams != 50 {
		t.Fatalf("%+v", e)
	}
}
