package app

import (
	"errors"
	"fmt"
	"strings"

	"github.com/vaultgate/vaultgate/internal/config"
)

const (
	demoAppID             = "vaultgate-demo"
	demoAudience          = "vaultgate-demo"
	demoCookieName        = "vaultgate_demo"
	demoSessionCookieName = "demo_app_session"
	demoJWKSPath          = "/demo-idp/jwks.json"
	demoMePath            = "/demo-app/api/me"
	demoDefaultHTTPAddr   = ":8080"
)

// Demo authentication modes (DEMO_AUTH_MODE): how the demo app signs users
// in, and so which AUTH_MODE vaultgate runs with.
const (
	demoModeJWT     = "jwt"     // the app sets a JWT cookie; vaultgate verifies it (AUTH_MODE=jwt)
	demoModeForward = "forward" // the app sets an opaque session cookie; vaultgate asks the app (AUTH_MODE=forward)
)

// demoEnv is where demo mode reads its variables: the process environment
// when run from the command line, a map in tests.
type demoEnv struct {
	lookup func(name string) (string, bool)
	// environ lists the names present, for the configuration's check of
	// mistyped VAULT_SETTINGS_*/VAULT_THEME_* names.
	environ []string
}

// value returns the variable name, or def when it is unset or empty.
func (e demoEnv) value(name, def string) string {
	if v, ok := e.lookup(name); ok && v != "" {
		return v
	}
	return def
}

// demoWiring is what demo mode fixes in vaultgate's configuration: where the
// simulator, the identity provider and the app's backend listen.
type demoWiring struct {
	mode      string // demoModeJWT or demoModeForward
	appURL    string // http://localhost:<public port>, no trailing slash
	httpAddr  string // the public listener's address
	adminAddr string // empty: ADMIN_ADDR or its default
	origin    string // the loopback server: simulator, demo IdP and app backend
	apiKey    string
}

// demoAuthMode reads DEMO_AUTH_MODE (default jwt).
func demoAuthMode(env demoEnv) (string, error) {
	switch v := strings.ToLower(strings.TrimSpace(env.value("DEMO_AUTH_MODE", demoModeJWT))); v {
	case demoModeJWT, demoModeForward:
		return v, nil
	default:
		return demoModeJWT, fmt.Errorf("DEMO_AUTH_MODE: %q is not one of jwt, forward", v)
	}
}

// demoConfig layers the demo's wiring over env over the demo's defaults and
// validates the result like any configuration. The wiring always wins: it
// points vaultgate at the in-process simulator and identity, never at a real
// Apideck account. Everything else (VAULT_UNIFIED_APIS, VAULT_THEME_*, …)
// may still be set in env.
func demoConfig(env demoEnv, w demoWiring) (config.Config, error) {
	fixed := map[string]string{
		"APIDECK_API_KEY": w.apiKey, "APIDECK_API_KEY_FILE": "", "APIDECK_APP_ID": demoAppID,
		"APIDECK_BASE_URL": w.origin, "VAULT_ORIGIN": w.origin,
		"HTTP_ADDR": w.httpAddr,
	}
	if w.adminAddr != "" {
		fixed["ADMIN_ADDR"] = w.adminAddr
	}
	switch w.mode {
	case demoModeForward:
		fixed["AUTH_MODE"] = "forward"
		fixed["AUTH_FORWARD_URL"] = w.origin + demoMePath
	default:
		for k, v := range map[string]string{
			"AUTH_MODE": "jwt", "AUTH_JWKS_URL": w.origin + demoJWKSPath, "AUTH_OIDC_ISSUER": "",
			"AUTH_HS256_SECRET": "", "AUTH_HS256_SECRET_FILE": "",
			"AUTH_ISSUER": w.origin + "/demo-idp", "AUTH_AUDIENCE": demoAudience, "AUTH_ALGORITHMS": "ES256",
			"AUTH_COOKIE_NAME": demoCookieName,
		} {
			fixed[k] = v
		}
	}
	defaults := map[string]string{
		"CONSUMER_ID_CLAIM":           "org.id",
		"VAULT_REDIRECT_URI":          w.appURL + "/demo/connected",
		"VAULT_ALLOWED_REDIRECT_URIS": w.appURL + "/demo/",
		"VAULT_UNIFIED_APIS":          "crm,accounting,hris,file-storage,ats",
		"VAULT_THEME_VAULT_NAME":      "Acme Integrations (demo)",
		"VAULT_THEME_PRIMARY_COLOR":   "#286efa",
		"AUTH_LOGIN_URL":              w.appURL + "/",
		"LOG_FORMAT":                  "console",
	}
	lookup := func(name string) (string, bool) {
		if v, ok := fixed[name]; ok {
			return v, true
		}
		if v, ok := env.lookup(name); ok {
			return v, true
		}
		v, ok := defaults[name]
		return v, ok
	}
	return config.FromLookup(lookup, env.environ...)
}

// demoConfigError joins a DEMO_AUTH_MODE problem with the configuration's,
// so every problem is reported at once.
func demoConfigError(modeErr, cfgErr error) error {
	if err := errors.Join(modeErr, cfgErr); err != nil {
		return configError(err)
	}
	return nil
}
