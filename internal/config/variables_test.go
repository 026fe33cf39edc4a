package config

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestVariablesDeclared keeps the declared names and the names the parser
// reads in step, so that neither the unknown-variable check nor Environ
// can drift from what Load reads.
func TestVariablesDeclared(t *testing.T) {
	t.Parallel()
	if diff := cmp.Diff(sorted(declared()), varNames()); diff != "" {
		t.Errorf("declared vs read (-declared +read):\n%s", diff)
	}
}

func TestUnknownVariables(t *testing.T) {
	t.Parallel()
	typos := map[string]string{
		"APIDECK_APPID":                "APIDECK_APP_ID",
		"VAULT_THEME_PRIMARY_COLOUR":   "VAULT_THEME_PRIMARY_COLOR",
		"VAULT_THEME_COLOUR":           "VAULT_THEME_LOGO", // the nearest by edit distance
		"VAULT_SETTINGS_SANDBOX":       "VAULT_SETTINGS_SANDBOX_MODE",
		"AUTH_JWKS_URI":                "AUTH_JWKS_URL",
		"CONSUMER_ID_CLAIMS":           "CONSUMER_ID_CLAIM",
		"RATE_LIMIT_PER_MIN":           "RATE_LIMIT_PER_MINUTE",
		"CORS_ALLOWED_ORIGIN":          "CORS_ALLOWED_ORIGINS",
		"SESSION_REUSE_TIME":           "SESSION_REUSE_TTL",
		"TRUSTED_PROXY_HOP":            "TRUSTED_PROXY_HOPS",
		"SHUTDOWN_TIMEOUTS":            "SHUTDOWN_TIMEOUT",
		"DEMO_AUTHMODE":                "DEMO_AUTH_MODE",
		"EVENTS_RELAY_URI":             "EVENTS_RELAY_URL",
		"VAULT_ADDR":                   "HTTP_ADDR", // under an owned prefix, whoever set it
		"APIDECK_API_KEY_FILENAME":     "APIDECK_API_KEY_FILE",
		"AUTH_FORWARD_MAX_CONCURRENT":  "AUTH_FORWARD_MAX_CONCURRENCY",
		"VAULT_ALLOWED_REDIRECT_URLS":  "VAULT_ALLOWED_REDIRECT_URIS",
		"CONSUMER_ACCOUNT_NAME_CLAM":   "CONSUMER_ACCOUNT_NAME_CLAIM",
		"APIDECK_BREAKER_COOLDOWN_SEC": "APIDECK_BREAKER_COOLDOWN",
	}
	env := requiredEnv()
	for name := range typos {
		env[name] = "x"
	}
	ignored := map[string]string{
		// Kubernetes' variables for Services named vault and apideck-sim.
		"VAULT_SERVICE_HOST": "10.0.0.7", "VAULT_SERVICE_PORT": "8080", "VAULT_SERVICE_PORT_HTTP": "8080",
		"VAULT_PORT": "tcp://10.0.0.7:8080", "VAULT_PORT_8080_TCP": "tcp://10.0.0.7:8080",
		"VAULT_PORT_8080_TCP_ADDR": "10.0.0.7", "VAULT_PORT_8080_TCP_PORT": "8080", "VAULT_PORT_8080_TCP_PROTO": "tcp",
		"APIDECK_SIM_SERVICE_HOST": "10.0.0.8", "APIDECK_SIM_PORT_4000_TCP_ADDR": "10.0.0.8",
		// Other prefixes are other programs'.
		"VAULTGATE_X": "x", "APIDECK": "x", "HOME": "/root", "OTEL_SERVICE_NAME": "gw",
	}
	for name, v := range ignored {
		env[name] = v
	}
	_, err := fromMap(env)
	if diff := cmp.Diff(sorted(keys(typos)), problemVars(t, err)); diff != "" {
		t.Fatalf("problems (-want +got):\n%s\n%v", diff, err)
	}
	for _, line := range strings.Split(err.Error(), "\n") {
		name, _, _ := strings.Cut(line, ":")
		if want := name + ": unknown variable; did you mean " + typos[name] + "?"; line != want {
			t.Errorf("got %q, want %q", line, want)
		}
	}

	mustParse(t, with(requiredEnv(), ignored))
	// Demo mode checks too.
	if _, err := LoadDemo([]string{"DEMO_AUTHMODE=forward"}, Defaults()); err == nil || !strings.Contains(err.Error(), "did you mean DEMO_AUTH_MODE?") {
		t.Errorf("demo typo: %v", err)
	}
}

// Environ hands Load what envconfig read, and only the names of the rest.
func TestEnviron(t *testing.T) {
	t.Setenv("APIDECK_APP_ID", "app_from_process")
	t.Setenv("VAULT_ALLOW_ACTIONS", "")
	t.Setenv("APIDECK_APPID", "typo")
	t.Setenv("SOME_OTHER_PROGRAM_TOKEN", "not-vaultgates")
	got := Environ()
	for _, want := range []string{"APIDECK_APP_ID=app_from_process", "VAULT_ALLOW_ACTIONS=", "APIDECK_APPID", "SOME_OTHER_PROGRAM_TOKEN"} {
		if !slices.Contains(got, want) {
			t.Errorf("Environ() lacks %q", want)
		}
	}
	if strings.Contains(strings.Join(got, "\n"), "not-vaultgates") {
		t.Error("Environ() carries a value that is not vaultgate's")
	}
	_, err := Load(got)
	if err == nil || !strings.Contains(err.Error(), "APIDECK_APPID: unknown variable; did you mean APIDECK_APP_ID?") {
		t.Errorf("Load(Environ()) = %v, want the typo reported", err)
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
