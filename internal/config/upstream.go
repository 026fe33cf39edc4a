package config

import (
	"strings"
	"time"

	"github.com/vaultgate/vaultgate/internal/upstream"
)

// Defaults of the APIDECK_* and VAULT_ORIGIN variables.
const (
	defaultBaseURL         = "https://unify.apideck.com"
	defaultVaultOrigin     = "https://vault.apideck.com"
	defaultTimeout         = 10 * time.Second
	defaultMaxRetries      = 2
	defaultMaxConcurrency  = 512
	defaultBreakerFailures = 5
	defaultBreakerCooldown = 5 * time.Second
	// maxBreakerFailures matches the bound upstream.New enforces (the
	// breaker counts in uint32), so a bad value fails here, named.
	maxBreakerFailures = 1 << 20
)

// parseUpstream reads the APIDECK_* variables and VAULT_ORIGIN.
func (p *problems) parseUpstream(r rawEnv) (upstream.Config, Secret) {
	c := upstream.Config{
		Timeout:         p.positiveDuration("APIDECK_TIMEOUT", r.Timeout, defaultTimeout),
		MaxRetries:      p.integer("APIDECK_MAX_RETRIES", r.MaxRetries, defaultMaxRetries, 0, 10),
		MaxConcurrency:  p.integer("APIDECK_MAX_CONCURRENCY", r.MaxConcurrency, defaultMaxConcurrency, 1, 100000),
		BreakerFailures: p.integer("APIDECK_BREAKER_FAILURES", r.BreakerFailures, defaultBreakerFailures, 1, maxBreakerFailures),
		BreakerCooldown: p.positiveDuration("APIDECK_BREAKER_COOLDOWN", r.BreakerCooldown, defaultBreakerCooldown),
	}

	key, set := p.secretValue("APIDECK_API_KEY", r.APIKey, r.APIKeyFile)
	switch {
	case !set:
		p.add("APIDECK_API_KEY", "required (or APIDECK_API_KEY_FILE)")
	case !key.IsZero() && !headerSafe(key.Reveal()):
		// It travels in the Authorization header; say what is wrong
		// without showing any of it.
		p.add("APIDECK_API_KEY", "must be printable ASCII without spaces or line breaks")
	}

	c.AppID = strings.TrimSpace(r.AppID)
	switch {
	case c.AppID == "":
		p.add("APIDECK_APP_ID", "required")
	case !headerSafe(c.AppID):
		p.add("APIDECK_APP_ID", "must be printable ASCII without spaces")
	}

	c.BaseURL = defaultBaseURL
	if v := strings.TrimSpace(r.BaseURL); v != "" {
		if _, err := absoluteURL(v, false); err != nil {
			p.wrap("APIDECK_BASE_URL", err)
		} else {
			// The client appends "/vault/sessions".
			c.BaseURL = strings.TrimRight(v, "/")
		}
	}

	c.VaultOrigin = defaultVaultOrigin
	if v := strings.TrimSpace(r.VaultOrigin); v != "" {
		if o, err := normalizeOrigin(v); err != nil {
			p.wrap("VAULT_ORIGIN", err)
		} else {
			c.VaultOrigin = o
		}
	}
	return c, key
}
