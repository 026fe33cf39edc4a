package config

import (
	"fmt"
	"os"
	"reflect"
	"strings"

	"github.com/kelseyhightower/envconfig"
)

// rawEnv is the environment as envconfig reads it. Every field is a string
// (or *string where unset and empty mean different things), so reading can
// never fail: envconfig stops at its first parse error, and vaultgate wants
// every problem reported at once, so all parsing and validation happens
// afterwards in parse. Defaults live in parse too, which is why no field has
// a default tag: an empty value and an unset one both mean "the default".
//
// The tags are also the list of variables vaultgate reads; the README test
// and the scan for mistyped VAULT_SETTINGS_*/VAULT_THEME_* names use them.
type rawEnv struct {
	APIKey          string `envconfig:"APIDECK_API_KEY"`
	APIKeyFile      string `envconfig:"APIDECK_API_KEY_FILE"`
	AppID           string `envconfig:"APIDECK_APP_ID"`
	BaseURL         string `envconfig:"APIDECK_BASE_URL"`
	Timeout         string `envconfig:"APIDECK_TIMEOUT"`
	MaxRetries      string `envconfig:"APIDECK_MAX_RETRIES"`
	MaxConcurrency  string `envconfig:"APIDECK_MAX_CONCURRENCY"`
	BreakerFailures string `envconfig:"APIDECK_BREAKER_FAILURES"`
	BreakerCooldown string `envconfig:"APIDECK_BREAKER_COOLDOWN"`

	VaultOrigin         string  `envconfig:"VAULT_ORIGIN"`
	RedirectURI         string  `envconfig:"VAULT_REDIRECT_URI"`
	AllowedRedirectURIs string  `envconfig:"VAULT_ALLOWED_REDIRECT_URIS"`
	UnifiedAPIs         string  `envconfig:"VAULT_UNIFIED_APIS"`
	AllowActions        *string `envconfig:"VAULT_ALLOW_ACTIONS"` // nil: unset; "": send []
	SessionLength       string  `envconfig:"VAULT_SESSION_LENGTH"`

	SettingHideResourceSettings string `envconfig:"VAULT_SETTINGS_HIDE_RESOURCE_SETTINGS"`
	SettingSandboxMode          string `envconfig:"VAULT_SETTINGS_SANDBOX_MODE"`
	SettingIsolationMode        string `envconfig:"VAULT_SETTINGS_ISOLATION_MODE"`
	SettingShowLogs             string `envconfig:"VAULT_SETTINGS_SHOW_LOGS"`
	SettingShowSuggestions      string `envconfig:"VAULT_SETTINGS_SHOW_SUGGESTIONS"`
	SettingShowSidebar          string `envconfig:"VAULT_SETTINGS_SHOW_SIDEBAR"`
	SettingAutoRedirect         string `envconfig:"VAULT_SETTINGS_AUTO_REDIRECT"`
	SettingHideGuides           string `envconfig:"VAULT_SETTINGS_HIDE_GUIDES"`

	ThemeFavicon                  string `envconfig:"VAULT_THEME_FAVICON"`
	ThemeLogo                     string `envconfig:"VAULT_THEME_LOGO"`
	ThemePrimaryColor             string `envconfig:"VAULT_THEME_PRIMARY_COLOR"`
	ThemeSidepanelBackgroundColor string `envconfig:"VAULT_THEME_SIDEPANEL_BACKGROUND_COLOR"`
	ThemeSidepanelTextColor       string `envconfig:"VAULT_THEME_SIDEPANEL_TEXT_COLOR"`
	ThemeVaultName                string `envconfig:"VAULT_THEME_VAULT_NAME"`
	ThemePrivacyURL               string `envconfig:"VAULT_THEME_PRIVACY_URL"`
	ThemeTermsURL                 string `envconfig:"VAULT_THEME_TERMS_URL"`

	CustomConsumerSettings string `envconfig:"VAULT_CUSTOM_CONSUMER_SETTINGS"`
	ConsumerSettingsClaim  string `envconfig:"CONSUMER_SETTINGS_CLAIM"`

	AuthMode           string `envconfig:"AUTH_MODE"`
	JWKSURL            string `envconfig:"AUTH_JWKS_URL"`
	OIDCIssuer         string `envconfig:"AUTH_OIDC_ISSUER"`
	HS256Secret        string `envconfig:"AUTH_HS256_SECRET"`
	HS256SecretFile    string `envconfig:"AUTH_HS256_SECRET_FILE"`
	Issuer             string `envconfig:"AUTH_ISSUER"`
	Audience           string `envconfig:"AUTH_AUDIENCE"`
	Algorithms         string `envconfig:"AUTH_ALGORITHMS"`
	ClockSkew          string `envconfig:"AUTH_CLOCK_SKEW"`
	CookieName         string `envconfig:"AUTH_COOKIE_NAME"`
	LoginURL           string `envconfig:"AUTH_LOGIN_URL"`
	ForwardURL         string `envconfig:"AUTH_FORWARD_URL"`
	ForwardTimeout     string `envconfig:"AUTH_FORWARD_TIMEOUT"`
	ForwardCacheTTL    string `envconfig:"AUTH_FORWARD_CACHE_TTL"`
	HeaderUser         string `envconfig:"AUTH_HEADER_USER"`
	HeaderEmail        string `envconfig:"AUTH_HEADER_EMAIL"`
	HeaderGroups       string `envconfig:"AUTH_HEADER_GROUPS"`
	TrustedProxies     string `envconfig:"AUTH_TRUSTED_PROXIES"`
	ConsumerIDClaim    string `envconfig:"CONSUMER_ID_CLAIM"`
	ConsumerIDPrefix   string `envconfig:"CONSUMER_ID_PREFIX"`
	AccountNameClaim   string `envconfig:"CONSUMER_ACCOUNT_NAME_CLAIM"`
	UserNameClaim      string `envconfig:"CONSUMER_USER_NAME_CLAIM"`
	EmailClaim         string `envconfig:"CONSUMER_EMAIL_CLAIM"`
	ImageClaim         string `envconfig:"CONSUMER_IMAGE_CLAIM"`
	CORSAllowedOrigins string `envconfig:"CORS_ALLOWED_ORIGINS"`

	RateLimitPerMinute      string `envconfig:"RATE_LIMIT_PER_MINUTE"`
	RateLimitPerIPPerMinute string `envconfig:"RATE_LIMIT_PER_IP_PER_MINUTE"`
	TrustedProxyHops        string `envconfig:"TRUSTED_PROXY_HOPS"`
	RedisURL                string `envconfig:"REDIS_URL"`
	SessionReuseTTL         string `envconfig:"SESSION_REUSE_TTL"`

	HTTPAddr        string `envconfig:"HTTP_ADDR"`
	AdminAddr       string `envconfig:"ADMIN_ADDR"`
	AdminPprof      string `envconfig:"ADMIN_PPROF"`
	LogLevel        string `envconfig:"LOG_LEVEL"`
	LogFormat       string `envconfig:"LOG_FORMAT"`
	ShutdownTimeout string `envconfig:"SHUTDOWN_TIMEOUT"`

	// The OpenTelemetry variables vaultgate decides on; the SDK reads the
	// other standard ones itself.
	OTelSDKDisabled    string `envconfig:"OTEL_SDK_DISABLED"`
	OTelTracesExporter string `envconfig:"OTEL_TRACES_EXPORTER"`
	OTelEndpoint       string `envconfig:"OTEL_EXPORTER_OTLP_ENDPOINT"`
	OTelTracesEndpoint string `envconfig:"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"`
	OTelProtocol       string `envconfig:"OTEL_EXPORTER_OTLP_PROTOCOL"`
	OTelTracesProtocol string `envconfig:"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"`
}

// Load reads the process environment and returns the validated
// configuration, or an error listing every problem found (one per line,
// each starting with the variable's name). Secret values never appear in it.
func Load() (Config, error) {
	var raw rawEnv
	// Every field is a string, so Process cannot fail on a value; an error
	// here would be a programming mistake in rawEnv.
	if err := envconfig.Process("", &raw); err != nil {
		return Config{}, fmt.Errorf("reading the environment: %w", err)
	}
	return parse(raw, envNames(os.Environ()))
}

// FromLookup is Load reading each variable through lookup instead of the
// process environment (os.LookupEnv has the same signature). Demo mode uses
// it to layer its defaults under the real environment.
//
// environ lists the variables present, either as bare names or in
// os.Environ's "NAME=value" form (only the names are used): a lookup cannot
// be enumerated, and the names are needed to reject mistyped
// VAULT_SETTINGS_*/VAULT_THEME_* variables. Without environ that check is
// skipped.
func FromLookup(lookup func(name string) (string, bool), environ ...string) (Config, error) {
	return parse(readLookup(lookup), envNames(environ))
}

// readLookup fills rawEnv the way envconfig.Process would, through lookup.
func readLookup(lookup func(string) (string, bool)) rawEnv {
	var raw rawEnv
	v := reflect.ValueOf(&raw).Elem()
	for i := range v.NumField() {
		value, ok := lookup(v.Type().Field(i).Tag.Get("envconfig"))
		if !ok {
			continue
		}
		switch f := v.Field(i); f.Kind() {
		case reflect.String:
			f.SetString(value)
		case reflect.Pointer:
			f.Set(reflect.ValueOf(&value))
		default:
			panic("config: rawEnv field of unsupported kind " + f.Kind().String())
		}
	}
	return raw
}

// varNames lists every variable vaultgate reads, in rawEnv's order.
func varNames() []string {
	t := reflect.TypeFor[rawEnv]()
	names := make([]string, 0, t.NumField())
	for i := range t.NumField() {
		names = append(names, t.Field(i).Tag.Get("envconfig"))
	}
	return names
}

// envNames strips the values from os.Environ-style entries; bare names pass
// through.
func envNames(environ []string) []string {
	names := make([]string, 0, len(environ))
	for _, e := range environ {
		name, _, _ := strings.Cut(e, "=")
		names = append(names, name)
	}
	return names
}
