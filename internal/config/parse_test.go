package config

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rs/zerolog"

	"github.com/vaultgate/vaultgate/internal/auth"
	"github.com/vaultgate/vaultgate/internal/handler"

	"github.com/vaultgate/vaultgate/internal/upstream"
)

func TestDefaults(t *testing.T) {
	t.Parallel()
	got := mustParse(t, requiredEnv())
	emptyList, err := handler.NewAllowlist(nil)
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		HTTPAddr: ":8080", HTTPMaxConnections: 4096,
		AdminAddr: ":9090",
		APIKey:    NewSecret(testAPIKey),
		Upstream: upstream.Config{
			BaseURL:         "https://unify.apideck.com",
			AppID:           "app_123",
			Timeout:         10 * time.Second,
			MaxRetries:      2,
			MaxConcurrency:  512,
			BreakerFailures: 5,
			BreakerCooldown: 5 * time.Second,
			VaultOrigin:     "https://vault.apideck.com",
		},
		Connect: handler.ConnectConfig{
			Mapping: auth.Mapping{
				IDClaim:          "sub",
				AccountNameClaim: "org_name",
				UserNameClaim:    "name",
				EmailClaim:       "email",
				ImageClaim:       "picture",
			},
			Redirects:     emptyList,
			SessionLength: time.Hour,
			VaultOrigin:   "https://vault.apideck.com",
			CallbackURL:   "https://unify.apideck.com/vault/callback",
		},
		AuthMode: "jwt",
		JWT: auth.JWTConfig{
			JWKSURL:            "https://idp.example.test/.well-known/jwks.json",
			Issuer:             "https://idp.example.test/",
			Audience:           "vaultgate",
			Algorithms:         []string{"RS256", "ES256", "EdDSA"},
			ClockSkew:          30 * time.Second,
			RefreshInterval:    5 * time.Minute,
			UnknownKIDInterval: 30 * time.Second,
		},
		Events:             Events{RelayTimeout: 10 * time.Second, MaxStreams: 1000},
		RateLimitPerMinute: 30,
		LogLevel:           zerolog.InfoLevel,
		LogFormat:          "json",
		ShutdownTimeout:    15 * time.Second,
	}
	if diff := cmp.Diff(want, got, cmpConfig()); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
	if got.Connect.Redirects == nil {
		t.Error("Redirects must be an (empty) allow-list, not nil")
	}
	if got.Connect.Settings.AllowActions != nil {
		t.Error("AllowActions must be nil when VAULT_ALLOW_ACTIONS is unset")
	}
}

func TestEmptyMeansDefault(t *testing.T) {
	t.Parallel()
	env := requiredEnv()
	for _, name := range varNames() {
		if _, set := env[name]; !set && name != "VAULT_ALLOW_ACTIONS" {
			env[name] = "  "
		}
	}
	got := mustParse(t, env)
	want := mustParse(t, requiredEnv())
	if diff := cmp.Diff(want, got, cmpConfig()); diff != "" {
		t.Errorf("blank variables must mean their defaults (-want +got):\n%s", diff)
	}
}

func TestProblemsReportedTogether(t *testing.T) {
	t.Parallel()
	env := with(requiredEnv(), map[string]string{
		"APIDECK_TIMEOUT":      "soon",
		"APIDECK_MAX_RETRIES":  "99",
		"VAULT_ORIGIN":         "https://vault.example.test/path",
		"VAULT_UNIFIED_APIS":   "crm,spaceships",
		"VAULT_SESSION_LENGTH": "2w",
		"HTTP_MAX_CONNECTIONS": "0",
		"AUTH_ALGORITHMS":      "none",
		"CORS_ALLOWED_ORIGINS": "*",
		"LOG_FORMAT":           "xml",
		"VAULT_THEME_COLOUR":   "#fff",
	}, "APIDECK_APP_ID")
	_, err := fromMap(env)
	want := []string{
		"APIDECK_APP_ID", "APIDECK_MAX_RETRIES", "APIDECK_TIMEOUT", "AUTH_ALGORITHMS",
		"CORS_ALLOWED_ORIGINS", "HTTP_MAX_CONNECTIONS", "LOG_FORMAT", "VAULT_ORIGIN", "VAULT_SESSION_LENGTH",
		"VAULT_THEME_COLOUR", "VAULT_UNIFIED_APIS",
	}
	if diff := cmp.Diff(want, sorted(problemVars(t, err))); diff != "" {
		t.Fatalf("problems (-want +got):\n%s\nerror:\n%v", diff, err)
	}
	// One line per problem, each starting with its variable, so that the
	// operator reads them all from one failed start.
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != len(want) {
		t.Fatalf("got %d lines, want %d:\n%v", len(lines), len(want), err)
	}
	for i, name := range problemVars(t, err) {
		if !strings.HasPrefix(lines[i], name+": ") {
			t.Errorf("line %d does not start with %s: %q", i, name, lines[i])
		}
	}
}

func TestOriginNormalised(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"https://vault.apideck.com", "https://vault.apideck.com"},
		{"HTTPS://Vault.Example.TEST:443/", "https://vault.example.test"},
		{"http://vault.example.test:80", "http://vault.example.test"},
		{"http://127.0.0.1:8081/", "http://127.0.0.1:8081"},
		{"https://vault.example.test:8443", "https://vault.example.test:8443"},
		{"http://[::1]:8081", "http://[::1]:8081"},
		{"https://[::1]:443", "https://[::1]"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			c := mustParse(t, with(requiredEnv(), map[string]string{
				"VAULT_ORIGIN":         tt.in,
				"CORS_ALLOWED_ORIGINS": tt.in + ", " + tt.want,
			}))
			if c.Upstream.VaultOrigin != tt.want || c.Connect.VaultOrigin != tt.want {
				t.Errorf("VAULT_ORIGIN %q: got %q/%q, want %q", tt.in, c.Upstream.VaultOrigin, c.Connect.VaultOrigin, tt.want)
			}
			if diff := cmp.Diff([]string{tt.want}, c.Connect.CORSOrigins); diff != "" {
				t.Errorf("CORS origins normalised and deduplicated (-want +got):\n%s", diff)
			}
		})
	}
}

func TestValuesParsed(t *testing.T) {
	t.Parallel()
	c := mustParse(t, with(requiredEnv(), map[string]string{
		"APIDECK_BASE_URL":             "http://127.0.0.1:9999/prefix/",
		"APIDECK_TIMEOUT":              "2500ms",
		"APIDECK_MAX_RETRIES":          "0",
		"APIDECK_MAX_CONCURRENCY":      "100000",
		"APIDECK_BREAKER_FAILURES":     "1",
		"APIDECK_BREAKER_COOLDOWN":     "1m",
		"RATE_LIMIT_PER_MINUTE":        "0",
		"RATE_LIMIT_PER_IP_PER_MINUTE": "600",
		"TRUSTED_PROXY_HOPS":           "10",
		"TRUSTED_PROXY_CIDRS":          "10.0.0.0/8",
		"REDIS_URL":                    "rediss://:pw@redis.example.test:6380/2",
		"SESSION_REUSE_TTL":            "10m",
		"HTTP_ADDR":                    "127.0.0.1:0",
		"ADMIN_ADDR":                   "127.0.0.1:0",
		"ADMIN_PPROF":                  "true",
		"LOG_LEVEL":                    "DEBUG",
		"LOG_FORMAT":                   "console",
		"SHUTDOWN_TIMEOUT":             "1s",
		"AUTH_CLOCK_SKEW":              "0s",
		"AUTH_COOKIE_NAME":             "__Host-session",
		"AUTH_LOGIN_URL":               "https://app.example.test/login?next=1",
		"CONSUMER_ID_CLAIM":            "org.id",
		"CONSUMER_ID_PREFIX":           "org_",
		"CONSUMER_SETTINGS_CLAIM":      "vault_settings",
		"CONSUMER_EMAIL_CLAIM":         "mail",
	}))
	type view struct {
		BaseURL, Redis, Addrs, Level, Format, Cookie, Login, IDClaim, Prefix, SettingsClaim, Email string
		Timeout, Cooldown, Reuse, Shutdown, Skew                                                   time.Duration
		Retries, Conc, Failures, Rate, IPRate, Hops                                                int
		Pprof                                                                                      bool
	}
	got := view{
		c.Upstream.BaseURL, c.RedisURL.Reveal(), c.HTTPAddr + " " + c.AdminAddr, c.LogLevel.String(), c.LogFormat,
		c.JWT.CookieName, c.Connect.LoginURL, c.Connect.Mapping.IDClaim, c.Connect.Mapping.IDPrefix,
		c.Connect.Mapping.SettingsClaim, c.Connect.Mapping.EmailClaim,
		c.Upstream.Timeout, c.Upstream.BreakerCooldown, c.SessionReuseTTL, c.ShutdownTimeout, c.JWT.ClockSkew,
		c.Upstream.MaxRetries, c.Upstream.MaxConcurrency, c.Upstream.BreakerFailures,
		c.RateLimitPerMinute, c.RateLimitPerIPPerMinute, c.Connect.TrustedProxyHops, c.AdminPprof,
	}
	want := view{
		"http://127.0.0.1:9999/prefix", "rediss://:pw@redis.example.test:6380/2", "127.0.0.1:0 127.0.0.1:0",
		"debug", "console", "__Host-session", "https://app.example.test/login?next=1", "org.id", "org_",
		"vault_settings", "mail",
		2500 * time.Millisecond, time.Minute, 10 * time.Minute, time.Second, 0,
		0, 100000, 1, 0, 600, 10, true,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("parsed values (-want +got):\n%s", diff)
	}
}
