package config

import (
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vaultgate/vaultgate/internal/handler"
	"github.com/vaultgate/vaultgate/internal/testkit"
)

// Secret values used across the tests; each is searched for in error texts
// and log output, so they are distinctive.
const (
	testAPIKey     = "sk_test_4f9a1c7e2b8d4e6fa0c3"
	testHMACSecret = "hmac-secret-9d8c7b6a5f4e3d2c1b0a-zyxw"
)

// requiredEnv is the smallest valid environment: the API key and app id,
// plus what AUTH_MODE=jwt (the default) needs.
func requiredEnv() map[string]string {
	return map[string]string{
		"APIDECK_API_KEY": testAPIKey,
		"APIDECK_APP_ID":  "app_123",
		"AUTH_JWKS_URL":   "https://idp.example.test/.well-known/jwks.json",
		"AUTH_ISSUER":     "https://idp.example.test/",
		"AUTH_AUDIENCE":   "vaultgate",
	}
}

// with returns a copy of env with set applied and unset removed.
func with(env map[string]string, set map[string]string, unset ...string) map[string]string {
	out := make(map[string]string, len(env)+len(set))
	for k, v := range env {
		out[k] = v
	}
	for k, v := range set {
		out[k] = v
	}
	for _, k := range unset {
		delete(out, k)
	}
	return out
}

// fromMap loads env as the whole environment.
func fromMap(env map[string]string) (Config, error) {
	return Load(testkit.Environ(env))
}

// mustParse fails the test when env is not a valid configuration.
func mustParse(t *testing.T, env map[string]string) Config {
	t.Helper()
	c, err := fromMap(env)
	if err != nil {
		t.Fatalf("unexpected configuration error:\n%v", err)
	}
	return c
}

// problemVars lists the variables the problems in err are about, in order.
func problemVars(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	joined, ok := err.(interface{ Unwrap() []error })
	if !ok {
		t.Fatalf("error is not a list of problems: %v", err)
	}
	var vars []string
	for _, e := range joined.Unwrap() {
		name, _, ok := strings.Cut(e.Error(), ": ")
		if !ok {
			t.Fatalf("problem without a variable: %q", e)
		}
		vars = append(vars, name)
	}
	return vars
}

// writeFile writes content to a fresh file and returns its path.
func writeFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// cmpConfig compares what can be compared of a Config: secrets by value,
// allow-lists by what they accept and refuse.
func cmpConfig() cmp.Options {
	return cmp.Options{
		cmp.Comparer(func(a, b Secret) bool { return a.Reveal() == b.Reveal() }),
		cmp.Comparer(func(a, b netip.Prefix) bool { return a == b }),
		cmp.Comparer(func(a, b *handler.Allowlist) bool {
			return (a == nil) == (b == nil) && a.Len() == b.Len()
		}),
	}
}

// sorted returns a sorted copy of s.
func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// varNames lists every variable vaultgate reads, sorted: what loading each
// authentication mode, tracing and demo mode reads.
func varNames() []string {
	var names []string
	for _, env := range []map[string]string{
		jwtEnv(), hmacEnv(), forwardEnv(), headerEnv(),
		with(requiredEnv(), map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}),
	} {
		_, read, _ := load(testkit.Environ(env), Defaults(), false)
		names = append(names, read...)
	}
	_, read, _ := load(nil, Defaults(), true)
	return slices.Compact(sorted(append(names, read...)))
}
