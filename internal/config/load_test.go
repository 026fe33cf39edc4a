package config

import (
	"os"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// setEnv makes the process environment hold exactly env among the variables
// vaultgate reads (and its checked families), restoring everything after
// the test. Tests using it cannot run in parallel.
func setEnv(t *testing.T, env map[string]string) {
	t.Helper()
	for _, name := range append(varNames(), envNames(os.Environ())...) {
		if _, ours := env[name]; ours || familyOf(name) == "" && !slices.Contains(varNames(), name) {
			continue
		}
		t.Setenv(name, "") // registers the restore
		if err := os.Unsetenv(name); err != nil {
			t.Fatal(err)
		}
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
}

// TestLoad reads the real process environment through envconfig and checks
// that it agrees with FromLookup, which the other tests use.
func TestLoad(t *testing.T) {
	tests := []struct {
		name     string
		env      map[string]string
		wantVars []string
	}{
		{name: "required only", env: requiredEnv()},
		{name: "allow actions set but empty", env: with(requiredEnv(), map[string]string{"VAULT_ALLOW_ACTIONS": ""})},
		{name: "allow actions listed", env: with(requiredEnv(), map[string]string{"VAULT_ALLOW_ACTIONS": "disable"})},
		{
			name: "many variables",
			env: with(headerEnv(), map[string]string{
				"VAULT_THEME_PRIMARY_COLOR":   "#abc",
				"VAULT_SETTINGS_SHOW_SIDEBAR": "false",
				"VAULT_SESSION_LENGTH":        "30m",
				"VAULT_UNIFIED_APIS":          "crm,hris",
				"RATE_LIMIT_PER_MINUTE":       "5",
				"LOG_LEVEL":                   "warn",
			}),
		},
		{
			name:     "typo in a family",
			env:      with(requiredEnv(), map[string]string{"VAULT_THEME_COLOUR": "#abc"}),
			wantVars: []string{"VAULT_THEME_COLOUR"},
		},
		{
			name:     "bad value",
			env:      with(requiredEnv(), map[string]string{"APIDECK_TIMEOUT": "fast"}, "APIDECK_APP_ID"),
			wantVars: []string{"APIDECK_TIMEOUT", "APIDECK_APP_ID"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			setEnv(t, tt.env)
			got, err := Load()
			if diff := cmp.Diff(tt.wantVars, problemVars(t, err)); diff != "" {
				t.Fatalf("problems (-want +got):\n%s\n%v", diff, err)
			}
			want, wantErr := fromMap(tt.env)
			if (err == nil) != (wantErr == nil) {
				t.Fatalf("Load error %v, FromLookup error %v", err, wantErr)
			}
			if diff := cmp.Diff(want, got, cmpConfig()); diff != "" {
				t.Errorf("Load and FromLookup disagree (-FromLookup +Load):\n%s", diff)
			}
			_, empty := tt.env["VAULT_ALLOW_ACTIONS"]
			if (got.Connect.Settings.AllowActions != nil) != (empty && err == nil) {
				t.Errorf("AllowActions = %#v; set in the environment: %v", got.Connect.Settings.AllowActions, empty)
			}
		})
	}
}
