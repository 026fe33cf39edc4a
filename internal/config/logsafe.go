package config

import "net/url"

// LogSafe returns the configuration's safe fields for the start-up log
// line. Left out on purpose: the secrets, REDIS_URL's userinfo, every URL's
// query (tokens travel there) and the values of
// VAULT_CUSTOM_CONSUMER_SETTINGS (which may be private to the company). The
// theme and settings are logged as every browser sees them anyway.
func (c Config) LogSafe() map[string]any {
	u, cc, m := c.Upstream, c.Connect, c.Connect.Mapping
	a := map[string]any{"mode": c.AuthMode}
	switch c.AuthMode {
	case ModeJWT:
		j := c.JWT
		source := "hs256_secret"
		if j.JWKSURL != "" {
			source = "jwks_url"
		} else if j.OIDCIssuer != "" {
			source = "oidc_issuer"
		}
		a["key_source"], a["jwks_url"], a["oidc_issuer"] = source, safeURL(j.JWKSURL), safeURL(j.OIDCIssuer)
		a["issuer"], a["audience"], a["algorithms"] = j.Issuer, j.Audience, j.Algorithms
		a["clock_skew"], a["cookie_name"] = j.ClockSkew.String(), j.CookieName
	case ModeForward:
		a["forward_url"], a["forward_timeout"], a["forward_cache_ttl"] = safeURL(c.Forward.URL), c.Forward.Timeout.String(), c.Forward.CacheTTL.String()
		a["forward_max_concurrency"] = c.Forward.MaxConcurrency
	case ModeHeader:
		a["user_header"], a["email_header"], a["groups_header"] = c.Header.UserHeader, c.Header.EmailHeader, c.Header.GroupsHeader
		a["trusted_proxies"] = c.Header.TrustedProxies // netip.Prefix marshals as text
	}
	return map[string]any{
		"http_addr": c.HTTPAddr, "http_max_connections": c.HTTPMaxConnections, "admin_addr": c.AdminAddr, "admin_pprof": c.AdminPprof,
		"apideck": map[string]any{
			"base_url": safeURL(u.BaseURL), "app_id": u.AppID, "api_key_set": !c.APIKey.IsZero(),
			"timeout": u.Timeout.String(), "max_retries": u.MaxRetries, "max_concurrency": u.MaxConcurrency,
			"breaker_failures": u.BreakerFailures, "breaker_cooldown": u.BreakerCooldown.String(),
			"vault_origin": u.VaultOrigin,
		},
		"vault": map[string]any{
			"unified_apis": cc.UnifiedAPIs, "settings": cc.Settings, "theme": cc.Theme,
			"session_length": cc.SessionLength.String(), "default_redirect_uri": safeURL(cc.DefaultRedirectURI),
			"allowed_redirect_uris": cc.Redirects.Len(), "login_url": safeURL(cc.LoginURL),
			"callback_path": cc.CallbackPath, "app_url": safeURL(cc.AppURL), "error_redirect_url": safeURL(cc.ErrorRedirectURL),
		},
		"consumer": map[string]any{
			"id_claim": m.IDClaim, "id_prefix": m.IDPrefix, "account_name_claim": m.AccountNameClaim,
			"user_name_claim": m.UserNameClaim, "email_claim": m.EmailClaim, "image_claim": m.ImageClaim,
			"settings_claim": m.SettingsClaim, "custom_settings_keys": len(m.BaseSettings),
		},
		"auth": a, "rate_limit_per_minute": c.RateLimitPerMinute, "rate_limit_per_ip_per_minute": c.RateLimitPerIPPerMinute,
		"trusted_proxy_hops": cc.TrustedProxyHops, "trusted_proxy_cidrs": cc.TrustedProxyCIDRs, "cors_allowed_origins": cc.CORSOrigins,
		"redis": safeURL(c.RedisURL.Reveal()), "session_reuse_ttl": c.SessionReuseTTL.String(),
		"tracing_endpoint": safeURL(c.Tracing.Endpoint), "log_level": c.LogLevel.String(),
		"log_format": c.LogFormat, "shutdown_timeout": c.ShutdownTimeout.String(),
	}
}

// safeURL keeps scheme, host and path: userinfo may be a password and the
// query may carry a token.
func safeURL(raw string) string {
	u, err := url.Parse(raw)
	switch {
	case raw == "":
		return ""
	case err != nil:
		return "[unparsable]"
	case u.Scheme == "unix": // a socket path is no secret, but a unix URL's user is
		return (&url.URL{Scheme: u.Scheme, Path: u.Path}).String()
	}
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
}
