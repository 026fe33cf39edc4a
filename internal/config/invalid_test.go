package config

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vaultgate/vaultgate/internal/testkit"
)

// Environments of the three authentication modes, each valid on its own.
func jwtEnv() map[string]string { return requiredEnv() }

func hmacEnv() map[string]string {
	return with(requiredEnv(), map[string]string{"AUTH_HS256_SECRET": testHMACSecret}, "AUTH_JWKS_URL")
}

func oidcEnv() map[string]string {
	return with(requiredEnv(), map[string]string{"AUTH_OIDC_ISSUER": "https://idp.example.test/"}, "AUTH_JWKS_URL", "AUTH_ISSUER")
}

func forwardEnv() map[string]string {
	return with(requiredEnv(), map[string]string{
		"AUTH_MODE": "forward", "AUTH_FORWARD_URL": "http://127.0.0.1:3000/api/me",
	}, "AUTH_JWKS_URL", "AUTH_ISSUER", "AUTH_AUDIENCE")
}

func headerEnv() map[string]string {
	return with(requiredEnv(), map[string]string{
		"AUTH_MODE": "header", "AUTH_TRUSTED_PROXIES": "10.0.0.0/8",
	}, "AUTH_JWKS_URL", "AUTH_ISSUER", "AUTH_AUDIENCE")
}

type invalidCase struct {
	name  string
	base  func() map[string]string
	set   map[string]string
	unset []string
	want  []string // variables named by the problems, in order
	demo  bool     // load with LoadDemo
}

// testRelaySecret is a valid EVENTS_RELAY_SECRET (32 bytes).
const testRelaySecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// withEvents is a case with connection events on and set added.
func withEvents(want string, set map[string]string) invalidCase {
	set["APIDECK_WEBHOOK_PATH"] = "/webhooks/apideck"
	return invalidCase{name: want + " " + strings.Join(slices.Sorted(maps.Keys(set)), ","), base: jwtEnv, set: set, want: []string{want}}
}

// invalidCases has at least one bad value for every variable that can have
// one; TestEveryVariableCanFail checks that coverage.
func invalidCases() []invalidCase {
	one := func(name, value string) invalidCase {
		return invalidCase{name: name + "=" + value, base: jwtEnv, set: map[string]string{name: value}, want: []string{name}}
	}
	inMode := func(base func() map[string]string, name, value string) invalidCase {
		c := one(name, value)
		c.base = base
		return c
	}
	missing := func(base func() map[string]string, name string) invalidCase {
		return invalidCase{name: name + " missing", base: base, unset: []string{name}, want: []string{name}}
	}
	// traced is one with tracing turned on, which is when the other OTEL_*
	// variables are checked.
	traced := func(name, value string) invalidCase {
		c := one(name, value)
		c.set["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:4318"
		return c
	}
	cases := []invalidCase{
		missing(jwtEnv, "APIDECK_API_KEY"),
		one("APIDECK_API_KEY", "sk_test with space"),
		one("APIDECK_API_KEY", "sk_test\n"),
		{
			name: "APIDECK_API_KEY_FILE unreadable", base: jwtEnv, unset: []string{"APIDECK_API_KEY"},
			set:  map[string]string{"APIDECK_API_KEY_FILE": "/nonexistent/vaultgate/key"},
			want: []string{"APIDECK_API_KEY_FILE"},
		},
		{
			name: "APIDECK_API_KEY and APIDECK_API_KEY_FILE", base: jwtEnv,
			set:  map[string]string{"APIDECK_API_KEY_FILE": "/nonexistent/vaultgate/key"},
			want: []string{"APIDECK_API_KEY"},
		},
		missing(jwtEnv, "APIDECK_APP_ID"),
		one("APIDECK_APP_ID", "app 1"),
		one("APIDECK_BASE_URL", "unify.apideck.com"),
		one("APIDECK_BASE_URL", "ftp://unify.apideck.com"),
		one("APIDECK_BASE_URL", "https://unify.apideck.com/?x=1"),
		one("APIDECK_BASE_URL", "https://user:pw@unify.apideck.com"),
		one("APIDECK_BASE_URL", "https://unify.apideck.com/#x"),
		one("APIDECK_BASE_URL", "https://"),
		one("APIDECK_BASE_URL", "http://[::1"),
		// The API key would travel in clear.
		one("APIDECK_BASE_URL", "http://unify.apideck.com"),
		one("APIDECK_BASE_URL", "http://10.0.0.7:8080"),
		{
			name: "APIDECK_ALLOW_HTTP=false", base: jwtEnv, want: []string{"APIDECK_BASE_URL"},
			set: map[string]string{"APIDECK_BASE_URL": "http://apideck-sim:4000", "APIDECK_ALLOW_HTTP": "false"},
		},
		one("APIDECK_ALLOW_HTTP", "sure"),
		one("APIDECK_TIMEOUT", "10"),
		one("APIDECK_TIMEOUT", "0s"),
		one("APIDECK_TIMEOUT", "-1s"),
		one("APIDECK_MAX_RETRIES", "11"),
		one("APIDECK_MAX_RETRIES", "-1"),
		one("APIDECK_MAX_RETRIES", "two"),
		one("APIDECK_MAX_RETRIES", "99999999999999999999"),
		one("APIDECK_MAX_CONCURRENCY", "0"),
		one("APIDECK_MAX_CONCURRENCY", "100001"),
		one("APIDECK_BREAKER_FAILURES", "0"),
		one("APIDECK_BREAKER_FAILURES", "1048577"),
		one("APIDECK_BREAKER_COOLDOWN", "0"),
		one("VAULT_ORIGIN", "https://vault.apideck.com/session"),
		one("VAULT_ORIGIN", "https://vault.apideck.com?x"),
		one("VAULT_ORIGIN", "https://a@vault.apideck.com"),
		one("VAULT_ORIGIN", "vault.apideck.com"),
		one("VAULT_REDIRECT_URI", "javascript:alert(1)"),
		one("VAULT_REDIRECT_URI", "https://app.example.test/done#x"),
		one("VAULT_REDIRECT_URI", "/relative"),
		one("VAULT_ALLOWED_REDIRECT_URIS", "https://app.example.test/,//evil.example"),
		{
			name: "VAULT_REDIRECT_URI outside the allow-list", base: jwtEnv,
			set: map[string]string{
				"VAULT_REDIRECT_URI":          "https://evil.example/done",
				"VAULT_ALLOWED_REDIRECT_URIS": "https://app.example.test/",
			},
			want: []string{"VAULT_REDIRECT_URI"},
		},
		one("VAULT_UNIFIED_APIS", "crm,accounting,CRM"),
		one("VAULT_ALLOW_ACTIONS", "delete,explode"),
		one("VAULT_SESSION_LENGTH", "0m"),
		one("VAULT_SESSION_LENGTH", "01h"),
		one("VAULT_SESSION_LENGTH", "1w"),
		one("VAULT_SESSION_LENGTH", "1.5h"),
		one("VAULT_SESSION_LENGTH", "h"),
		one("VAULT_SESSION_LENGTH", "30s"),
		one("VAULT_SESSION_LENGTH", "10081m"),
		one("VAULT_SESSION_LENGTH", "169h"),
		one("VAULT_SESSION_LENGTH", "8d"),
		one("VAULT_SESSION_LENGTH", "99999999999999999999d"),
		one("VAULT_THEME_VAULT_NAME", "Acme\x07"),
		one("VAULT_CUSTOM_CONSUMER_SETTINGS", "[1]"),
		one("VAULT_CUSTOM_CONSUMER_SETTINGS", "null"),
		one("VAULT_CUSTOM_CONSUMER_SETTINGS", `"text"`),
		one("VAULT_CUSTOM_CONSUMER_SETTINGS", `{"a":1`),
		one("VAULT_CUSTOM_CONSUMER_SETTINGS", `{"a":1} {}`),
		one("VAULT_CUSTOM_CONSUMER_SETTINGS", `{a:1}`),
		one("AUTH_MODE", "oauth"),
		one("AUTH_JWKS_URL", "idp.example.test/jwks"),
		inMode(oidcEnv, "AUTH_OIDC_ISSUER", "https://idp.example.test/?tenant=1"),
		inMode(oidcEnv, "AUTH_OIDC_ISSUER", "https://idp.example.test/#x"),
		{
			name: "no key source", base: jwtEnv, unset: []string{"AUTH_JWKS_URL"},
			want: []string{"AUTH_JWKS_URL, AUTH_OIDC_ISSUER, AUTH_HS256_SECRET"},
		},
		{
			name: "two key sources", base: jwtEnv, set: map[string]string{"AUTH_HS256_SECRET": testHMACSecret},
			want: []string{"AUTH_JWKS_URL, AUTH_HS256_SECRET"},
		},
		inMode(hmacEnv, "AUTH_HS256_SECRET", "too-short-a-secret"),
		{
			name: "HS512 needs 64 bytes", base: hmacEnv, set: map[string]string{"AUTH_ALGORITHMS": "HS256,HS512"},
			want: []string{"AUTH_HS256_SECRET"},
		},
		{
			name: "secret and secret file", base: hmacEnv,
			set:  map[string]string{"AUTH_HS256_SECRET_FILE": "/nonexistent"},
			want: []string{"AUTH_HS256_SECRET"},
		},
		{
			name: "secret file unreadable", base: hmacEnv, unset: []string{"AUTH_HS256_SECRET"},
			set:  map[string]string{"AUTH_HS256_SECRET_FILE": "/nonexistent/vaultgate/hmac"},
			want: []string{"AUTH_HS256_SECRET_FILE"},
		},
		missing(jwtEnv, "AUTH_ISSUER"),
		missing(jwtEnv, "AUTH_AUDIENCE"),
		one("AUTH_ALGORITHMS", "none"),
		one("AUTH_ALGORITHMS", "RS256,NoNe"),
		one("AUTH_ALGORITHMS", "RS256,HS256"),
		one("AUTH_ALGORITHMS", "RS999"),
		inMode(hmacEnv, "AUTH_ALGORITHMS", "HS256,RS256"),
		one("AUTH_CLOCK_SKEW", "6m"),
		one("AUTH_CLOCK_SKEW", "-1s"),
		one("AUTH_COOKIE_NAME", "my cookie"),
		one("AUTH_LOGIN_URL", "/login"),
		one("APP_URL", "app.example.test/settings"),
		one("APP_URL", "javascript:alert(1)"),
		one("ERROR_REDIRECT_URL", "/oops"),
		one("ERROR_REDIRECT_URL", "https://user:pw@app.example.test/oops"),
		one("VAULT_CALLBACK_PATH", "vault/callback"),
		one("VAULT_CALLBACK_PATH", "/connect"),
		one("VAULT_CALLBACK_PATH", "/connections"),
		one("VAULT_CALLBACK_PATH", "/connections/crm/salesforce"),
		one("VAULT_CALLBACK_PATH", "/"),
		one("VAULT_CALLBACK_PATH", "/vault/{id}"),
		one("VAULT_CALLBACK_PATH", "/vault//callback"),
		one("VAULT_CALLBACK_PATH", "/vault/../connect"),
		one("VAULT_CALLBACK_PATH", "/vault/callback?x=1"),
		missing(forwardEnv, "AUTH_FORWARD_URL"),
		inMode(forwardEnv, "AUTH_FORWARD_URL", "127.0.0.1:3000/me"),
		inMode(forwardEnv, "AUTH_FORWARD_TIMEOUT", "0s"),
		inMode(forwardEnv, "AUTH_FORWARD_CACHE_TTL", "-5s"),
		inMode(forwardEnv, "AUTH_FORWARD_MAX_CONCURRENCY", "0"),
		inMode(forwardEnv, "AUTH_FORWARD_MAX_CONCURRENCY", "10001"),
		inMode(headerEnv, "AUTH_HEADER_USER", "X User"),
		inMode(headerEnv, "AUTH_HEADER_EMAIL", "X-Email:"),
		inMode(headerEnv, "AUTH_HEADER_GROUPS", "X-Gröups"),
		missing(headerEnv, "AUTH_TRUSTED_PROXIES"),
		inMode(headerEnv, "AUTH_TRUSTED_PROXIES", " , "),
		inMode(headerEnv, "AUTH_TRUSTED_PROXIES", "10.0.0.0/8,10.0.0.300"),
		inMode(headerEnv, "AUTH_TRUSTED_PROXIES", "10.0.0.0/33"),
		inMode(headerEnv, "AUTH_TRUSTED_PROXIES", "fe80::1%eth0"),
		// The whole internet, and host bits that make a prefix other than written.
		inMode(headerEnv, "AUTH_TRUSTED_PROXIES", "0.0.0.0/0"),
		inMode(headerEnv, "AUTH_TRUSTED_PROXIES", "10.0.0.0/8,::/0"),
		inMode(headerEnv, "AUTH_TRUSTED_PROXIES", "127.0.0.2/8"),
		inMode(headerEnv, "AUTH_TRUSTED_PROXIES", "::ffff:0.0.0.0/96"),
		one("CONSUMER_ID_PREFIX", "org id_"),
		one("CONSUMER_ID_PREFIX", "orgé_"),
		one("CONSUMER_ID_PREFIX", strings.Repeat("p", 255)),
		one("CORS_ALLOWED_ORIGINS", "*"),
		one("CORS_ALLOWED_ORIGINS", "null"),
		one("CORS_ALLOWED_ORIGINS", "https://app.example.test/path"),
		one("RATE_LIMIT_PER_MINUTE", "-1"),
		one("RATE_LIMIT_PER_IP_PER_MINUTE", "lots"),
		{name: "TRUSTED_PROXY_HOPS=11", base: jwtEnv, want: []string{"TRUSTED_PROXY_HOPS"},
			set: map[string]string{"TRUSTED_PROXY_HOPS": "11", "TRUSTED_PROXY_CIDRS": "10.0.0.0/8"}},
		// Without the proxies' addresses any client could write its own entry.
		{name: "TRUSTED_PROXY_HOPS without CIDRS", base: jwtEnv, want: []string{"TRUSTED_PROXY_CIDRS"},
			set: map[string]string{"TRUSTED_PROXY_HOPS": "1"}},
		{name: "TRUSTED_PROXY_CIDRS=0.0.0.0/0", base: jwtEnv, want: []string{"TRUSTED_PROXY_CIDRS"},
			set: map[string]string{"TRUSTED_PROXY_HOPS": "1", "TRUSTED_PROXY_CIDRS": "0.0.0.0/0"}},
		one("TRUSTED_PROXY_CIDRS", "10.0.0.1/8"),
		one("HTTP_MAX_CONNECTIONS", "0"),
		one("HTTP_MAX_CONNECTIONS", "many"),
		one("REDIS_URL", "http://redis.example.test"),
		one("REDIS_URL", "redis://redis.example.test/db"),
		one("REDIS_URL", "unix://"),
		one("REDIS_URL", "redis://[::1"),
		one("SESSION_REUSE_TTL", "-1m"),
		one("HTTP_ADDR", "8080"),
		one("HTTP_ADDR", ":99999"),
		one("ADMIN_ADDR", ":8080"),
		one("ADMIN_ADDR", "localhost:http"),
		one("ADMIN_PPROF", "yes"),
		one("LOG_LEVEL", "verbose"),
		one("LOG_LEVEL", "1"),
		one("LOG_FORMAT", "text"),
		one("SHUTDOWN_TIMEOUT", "0s"),
		one("APIDECK_WEBHOOK_PATH", "webhooks/apideck"),
		one("APIDECK_WEBHOOK_PATH", "/connections/hook"),
		one("APIDECK_WEBHOOK_PATH", "/connect"),
		withEvents("EVENTS_RELAY_URL", map[string]string{"EVENTS_RELAY_URL": "ftp://app.example.test/events"}),
		withEvents("EVENTS_RELAY_URL", map[string]string{"EVENTS_RELAY_SECRET": testRelaySecret}),
		withEvents("EVENTS_RELAY_SECRET", map[string]string{"EVENTS_RELAY_URL": "https://app.example.test/events"}),
		withEvents("EVENTS_RELAY_SECRET", map[string]string{"EVENTS_RELAY_URL": "https://app.example.test/events",
			"EVENTS_RELAY_SECRET": "whsec_c2hvcnQ="}),
		withEvents("EVENTS_RELAY_SECRET_FILE", map[string]string{"EVENTS_RELAY_URL": "https://app.example.test/events",
			"EVENTS_RELAY_SECRET_FILE": "/nonexistent/vaultgate/relay"}),
		withEvents("EVENTS_RELAY_TIMEOUT", map[string]string{"EVENTS_RELAY_TIMEOUT": "31s"}),
		withEvents("EVENTS_MAX_STREAMS", map[string]string{"EVENTS_MAX_STREAMS": "0"}),
		one("EVENTS_MAX_STREAMS", "10"), // without APIDECK_WEBHOOK_PATH
		one("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318"),
		one("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "/v1/traces"),
		traced("OTEL_TRACES_EXPORTER", "zipkin"),
		traced("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
		traced("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "thrift"),
		{name: "DEMO_AUTH_MODE=header", base: func() map[string]string { return nil }, demo: true,
			set: map[string]string{"DEMO_AUTH_MODE": "header"}, want: []string{"DEMO_AUTH_MODE"}},
		one("VAULT_THEME_COLOUR", "#fff"),
		one("VAULT_SETTINGS_SANDBOX", "true"),
	}
	for _, name := range varNames() {
		switch {
		case strings.HasPrefix(name, "VAULT_SETTINGS_"):
			cases = append(cases, one(name, "maybe"))
		case strings.HasPrefix(name, "VAULT_THEME_") && name != "VAULT_THEME_VAULT_NAME" && !strings.HasSuffix(name, "_COLOR"):
			cases = append(cases, one(name, "www.example.test/logo.png"))
		}
	}
	return cases
}

func TestInvalidValues(t *testing.T) {
	t.Parallel()
	for _, tt := range invalidCases() {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := with(tt.base(), tt.set, tt.unset...)
			c, err := fromMap(env)
			if tt.demo {
				c, err = LoadDemo(testkit.Environ(env), Defaults())
			}
			if diff := cmp.Diff(tt.want, problemVars(t, err)); diff != "" {
				t.Fatalf("problems (-want +got):\n%s\nerror: %v", diff, err)
			}
			if diff := cmp.Diff(Config{}, c, cmpConfig()); diff != "" {
				t.Errorf("an invalid configuration must come back zero:\n%s", diff)
			}
		})
	}
}

func TestEveryVariableCanFail(t *testing.T) {
	t.Parallel()
	// Variables without an invalid value: any claim name is a claim name.
	freeForm := []string{
		"CONSUMER_ID_CLAIM", "CONSUMER_ACCOUNT_NAME_CLAIM", "CONSUMER_USER_NAME_CLAIM",
		"CONSUMER_EMAIL_CLAIM", "CONSUMER_IMAGE_CLAIM", "CONSUMER_SETTINGS_CLAIM",
		// Only "true" disables, as in the OpenTelemetry SDK.
		"OTEL_SDK_DISABLED",
		// Vault takes any CSS colour string.
		"VAULT_THEME_PRIMARY_COLOR", "VAULT_THEME_SIDEPANEL_BACKGROUND_COLOR", "VAULT_THEME_SIDEPANEL_TEXT_COLOR",
	}
	covered := map[string]bool{}
	for _, tt := range invalidCases() {
		for _, v := range tt.want {
			for name := range strings.SplitSeq(v, ", ") {
				covered[name] = true
			}
		}
	}
	for _, name := range varNames() {
		if !covered[name] && !slices.Contains(freeForm, name) {
			t.Errorf("no invalid-value case names %s", name)
		}
	}
}
