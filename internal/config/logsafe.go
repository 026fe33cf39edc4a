package config

import (
	"net/url"

	"github.com/rs/zerolog"

	"github.com/vaultgate/vaultgate/internal/upstream"
)

// LogSafe returns the configuration's safe fields for the start-up log
// line: log.Info().Object("config", cfg.LogSafe()).Msg("starting").
//
// Left out on purpose: the API key and HMAC secret, REDIS_URL's userinfo
// (its password), every URL's query (tokens travel there) and the values
// of VAULT_CUSTOM_CONSUMER_SETTINGS (which may be private to the company).
// Never log a Config by reflection (Interface): RedisURL is a plain string.
func (c Config) LogSafe() zerolog.LogObjectMarshaler { return logSafe(c) }

// logSafe is Config with a hand-picked zerolog encoding.
type logSafe Config

// MarshalZerologObject implements zerolog.LogObjectMarshaler.
func (c logSafe) MarshalZerologObject(e *zerolog.Event) {
	u := c.Upstream
	e.Str("http_addr", c.HTTPAddr).
		Str("admin_addr", c.AdminAddr).
		Bool("admin_pprof", c.AdminPprof).
		Dict("apideck", zerolog.Dict().
			Str("base_url", safeURL(u.BaseURL)).
			Str("app_id", u.AppID).
			Bool("api_key_set", !c.APIKey.IsZero()).
			Str("timeout", u.Timeout.String()).
			Int("max_retries", u.MaxRetries).
			Int("max_concurrency", u.MaxConcurrency).
			Int("breaker_failures", u.BreakerFailures).
			Str("breaker_cooldown", u.BreakerCooldown.String()).
			Str("vault_origin", u.VaultOrigin)).
		Dict("vault", c.vault()).
		Dict("consumer", c.consumer()).
		Dict("auth", c.auth()).
		Int("rate_limit_per_minute", c.RateLimitPerMinute).
		Int("rate_limit_per_ip_per_minute", c.RateLimitPerIPPerMinute).
		Int("trusted_proxy_hops", c.Connect.TrustedProxyHops).
		Strs("cors_allowed_origins", c.Connect.CORSOrigins).
		Str("redis", safeURL(c.RedisURL)).
		Str("session_reuse_ttl", c.SessionReuseTTL.String()).
		Str("log_level", c.LogLevel.String()).
		Str("log_format", c.LogFormat).
		Str("shutdown_timeout", c.ShutdownTimeout.String())
}

func (c logSafe) vault() *zerolog.Event {
	cc := c.Connect
	d := zerolog.Dict().
		Strs("unified_apis", cc.UnifiedAPIs).
		Str("session_length", cc.SessionLength.String()).
		Str("default_redirect_uri", safeURL(cc.DefaultRedirectURI)).
		Int("allowed_redirect_uris", cc.Redirects.Len()).
		Str("login_url", safeURL(cc.LoginURL)).
		Dict("settings", settingsDict(cc.Settings))
	if cc.Settings.AllowActions != nil {
		d.Strs("allow_actions", cc.Settings.AllowActions)
	}
	if t := cc.Theme; t != nil {
		d.Dict("theme", zerolog.Dict().
			Str("favicon", safeURL(t.Favicon)).
			Str("logo", safeURL(t.Logo)).
			Str("primary_color", t.PrimaryColor).
			Str("sidepanel_background_color", t.SidepanelBackgroundColor).
			Str("sidepanel_text_color", t.SidepanelTextColor).
			Str("vault_name", t.VaultName).
			Str("privacy_url", safeURL(t.PrivacyURL)).
			Str("terms_url", safeURL(t.TermsURL)))
	}
	return d
}

// settingsDict lists only the settings that are set; the others are left
// to Apideck's defaults.
func settingsDict(s upstream.Settings) *zerolog.Event {
	d := zerolog.Dict()
	for _, b := range []struct {
		key string
		v   *bool
	}{
		{"hide_resource_settings", s.HideResourceSettings},
		{"sandbox_mode", s.SandboxMode},
		{"isolation_mode", s.IsolationMode},
		{"show_logs", s.ShowLogs},
		{"show_suggestions", s.ShowSuggestions},
		{"show_sidebar", s.ShowSidebar},
		{"auto_redirect", s.AutoRedirect},
		{"hide_guides", s.HideGuides},
	} {
		if b.v != nil {
			d.Bool(b.key, *b.v)
		}
	}
	return d
}

func (c logSafe) consumer() *zerolog.Event {
	m := c.Connect.Mapping
	return zerolog.Dict().
		Str("id_claim", m.IDClaim).
		Str("id_prefix", m.IDPrefix).
		Str("account_name_claim", m.AccountNameClaim).
		Str("user_name_claim", m.UserNameClaim).
		Str("email_claim", m.EmailClaim).
		Str("image_claim", m.ImageClaim).
		Str("settings_claim", m.SettingsClaim).
		Int("custom_settings_keys", len(m.BaseSettings))
}

func (c logSafe) auth() *zerolog.Event {
	d := zerolog.Dict().Str("mode", c.AuthMode)
	switch c.AuthMode {
	case ModeJWT:
		j := c.JWT
		source := "hs256_secret"
		switch {
		case j.JWKSURL != "":
			source = "jwks_url"
		case j.OIDCIssuer != "":
			source = "oidc_issuer"
		}
		d.Str("key_source", source).
			Str("jwks_url", safeURL(j.JWKSURL)).
			Str("oidc_issuer", safeURL(j.OIDCIssuer)).
			Str("issuer", j.Issuer).
			Str("audience", j.Audience).
			Strs("algorithms", j.Algorithms).
			Str("clock_skew", j.ClockSkew.String()).
			Str("cookie_name", j.CookieName)
	case ModeForward:
		d.Str("forward_url", safeURL(c.Forward.URL)).
			Str("forward_timeout", c.Forward.Timeout.String()).
			Str("forward_cache_ttl", c.Forward.CacheTTL.String())
	case ModeHeader:
		proxies := make([]string, len(c.Header.TrustedProxies))
		for i, p := range c.Header.TrustedProxies {
			proxies[i] = p.String()
		}
		d.Str("user_header", c.Header.UserHeader).
			Str("email_header", c.Header.EmailHeader).
			Str("groups_header", c.Header.GroupsHeader).
			Strs("trusted_proxies", proxies)
	}
	return d
}

// safeURL keeps scheme, host and path: userinfo may be a password and the
// query may carry a token. Unparsable input yields "[unparsable]".
func safeURL(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "[unparsable]"
	}
	if u.Scheme == "unix" {
		// A socket path is not secret, but a unix URL's user is.
		return (&url.URL{Scheme: u.Scheme, Path: u.Path}).String()
	}
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
}
