package config

import (
	"maps"
	"os"
	"reflect"
	"slices"
	"strings"

	"github.com/kelseyhightower/envconfig"
)

// variables declares every variable vaultgate knows, once, each field
// named as its variable: the name envconfig reads it by. *string because
// reading a string cannot fail (envconfig stops at the first value it
// cannot parse, and Load reports all problems at once) and nil is unset.
type variables struct {
	APIDECK_API_KEY, APIDECK_API_KEY_FILE, APIDECK_APP_ID, APIDECK_BASE_URL, APIDECK_TIMEOUT, APIDECK_MAX_RETRIES,
	APIDECK_MAX_CONCURRENCY, APIDECK_BREAKER_FAILURES, APIDECK_BREAKER_COOLDOWN, APIDECK_ALLOW_HTTP *string

	VAULT_ORIGIN, VAULT_REDIRECT_URI, VAULT_ALLOWED_REDIRECT_URIS, VAULT_UNIFIED_APIS, VAULT_ALLOW_ACTIONS,
	VAULT_SESSION_LENGTH, VAULT_CUSTOM_CONSUMER_SETTINGS, VAULT_SETTINGS_HIDE_RESOURCE_SETTINGS,
	VAULT_SETTINGS_SANDBOX_MODE, VAULT_SETTINGS_ISOLATION_MODE, VAULT_SETTINGS_SHOW_LOGS, VAULT_SETTINGS_SHOW_SUGGESTIONS,
	VAULT_SETTINGS_SHOW_SIDEBAR, VAULT_SETTINGS_AUTO_REDIRECT, VAULT_SETTINGS_HIDE_GUIDES, VAULT_THEME_FAVICON,
	VAULT_THEME_LOGO, VAULT_THEME_PRIMARY_COLOR, VAULT_THEME_SIDEPANEL_BACKGROUND_COLOR, VAULT_THEME_SIDEPANEL_TEXT_COLOR,
	VAULT_THEME_VAULT_NAME, VAULT_THEME_PRIVACY_URL, VAULT_THEME_TERMS_URL *string

	AUTH_MODE, AUTH_JWKS_URL, AUTH_OIDC_ISSUER, AUTH_HS256_SECRET, AUTH_HS256_SECRET_FILE, AUTH_ISSUER, AUTH_AUDIENCE,
	AUTH_ALGORITHMS, AUTH_CLOCK_SKEW, AUTH_COOKIE_NAME, AUTH_LOGIN_URL, AUTH_FORWARD_URL, AUTH_FORWARD_TIMEOUT,
	AUTH_FORWARD_CACHE_TTL, AUTH_FORWARD_MAX_CONCURRENCY, AUTH_HEADER_USER, AUTH_HEADER_EMAIL, AUTH_HEADER_GROUPS, AUTH_TRUSTED_PROXIES *string

	CONSUMER_ID_CLAIM, CONSUMER_ID_PREFIX, CONSUMER_ACCOUNT_NAME_CLAIM, CONSUMER_USER_NAME_CLAIM, CONSUMER_EMAIL_CLAIM,
	CONSUMER_IMAGE_CLAIM, CONSUMER_SETTINGS_CLAIM *string

	HTTP_ADDR, ADMIN_ADDR, ADMIN_PPROF, CORS_ALLOWED_ORIGINS, RATE_LIMIT_PER_MINUTE, RATE_LIMIT_PER_IP_PER_MINUTE,
	TRUSTED_PROXY_HOPS, TRUSTED_PROXY_CIDRS, HTTP_MAX_CONNECTIONS, REDIS_URL, SESSION_REUSE_TTL, LOG_LEVEL, LOG_FORMAT, SHUTDOWN_TIMEOUT, DEMO_AUTH_MODE *string

	VAULT_CALLBACK_PATH, APP_URL, ERROR_REDIRECT_URL *string

	OTEL_SDK_DISABLED, OTEL_TRACES_EXPORTER, OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
	OTEL_EXPORTER_OTLP_PROTOCOL, OTEL_EXPORTER_OTLP_TRACES_PROTOCOL *string

	APIDECK_WEBHOOK_PATH, EVENTS_RELAY_URL, EVENTS_RELAY_SECRET, EVENTS_RELAY_SECRET_FILE, EVENTS_RELAY_TIMEOUT,
	EVENTS_MAX_STREAMS *string
}

// ownedPrefixes are where an unknown variable is a typo, not another program's.
const ownedPrefixes = "APIDECK_ VAULT_ AUTH_ CONSUMER_ RATE_LIMIT_ CORS_ SESSION_ TRUSTED_ SHUTDOWN_ DEMO_ EVENTS_"

// Environ reads the process environment for Run: envconfig reads the known
// variables, returned in os.Environ's form; every other variable is returned
// by name alone, so that Load sees typos but not other programs' values.
func Environ() []string {
	var vars variables
	envconfig.MustProcess("", &vars) // fails only if vars were not a struct pointer
	v := reflect.ValueOf(vars)
	var out []string
	for i := range v.NumField() {
		if s := v.Field(i).Interface().(*string); s != nil {
			out = append(out, v.Type().Field(i).Name+"="+*s)
		}
	}
	known := declared()
	for _, e := range os.Environ() {
		if name, _, _ := strings.Cut(e, "="); !slices.Contains(known, name) {
			out = append(out, name)
		}
	}
	return out
}

// declared lists the known variables.
func declared() (known []string) {
	t := reflect.TypeFor[variables]()
	for i := range t.NumField() {
		known = append(known, t.Field(i).Name)
	}
	return known
}

// checkUnknown reports the unknown variables under vaultgate's prefixes
// with the known name nearest to each. Kubernetes defines
// <SERVICE>_SERVICE_HOST, <SERVICE>_SERVICE_PORT… and <SERVICE>_PORT… for
// every Service in the namespace: no typos.
func (p *parser) checkUnknown() {
	known := declared()
	for _, name := range slices.Sorted(maps.Keys(p.env)) {
		owned := slices.ContainsFunc(strings.Fields(ownedPrefixes), func(prefix string) bool { return strings.HasPrefix(name, prefix) })
		switch {
		case slices.Contains(known, name) || !owned || strings.HasSuffix(name, "_SERVICE_HOST") || strings.Contains(name+"_", "_PORT_"):
		default:
			nearest := slices.MinFunc(known, func(a, b string) int { return editDistance(name, a) - editDistance(name, b) })
			p.add(name, "unknown variable; did you mean %s?", nearest)
		}
	}
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	row := make([]int, len(b)+1)
	for j := range row {
		row[j] = j
	}
	for i := range len(a) {
		diag := row[0]
		row[0] = i + 1
		for j := range len(b) {
			cost := 1
			if a[i] == b[j] {
				cost = 0
			}
			diag, row[j+1] = row[j+1], min(row[j+1]+1, row[j]+1, diag+cost)
		}
	}
	return row[len(b)]
}
