package config

import (
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/vaultgate/vaultgate/internal/auth"
	"github.com/vaultgate/vaultgate/internal/handler"
	"github.com/vaultgate/vaultgate/internal/upstream"
)

// parseUpstream reads the Apideck client's deadline, retries, concurrency
// and circuit breaker.
func (p *parser) parseUpstream(d upstream.Config) upstream.Config {
	d.Timeout = p.duration("APIDECK_TIMEOUT", d.Timeout, 0, true)
	d.MaxRetries = p.integer("APIDECK_MAX_RETRIES", d.MaxRetries, 0, 10)
	d.MaxConcurrency = p.integer("APIDECK_MAX_CONCURRENCY", d.MaxConcurrency, 1, 100000)
	// The breaker counts in uint32; 1<<20 is far beyond any useful value.
	d.BreakerFailures = p.integer("APIDECK_BREAKER_FAILURES", d.BreakerFailures, 1, 1<<20)
	d.BreakerCooldown = p.duration("APIDECK_BREAKER_COOLDOWN", d.BreakerCooldown, 0, true)
	return d
}

// parseApideck reads the Apideck account, which demo mode sets itself.
func (p *parser) parseApideck(c *Config) {
	key, set := p.secret("APIDECK_API_KEY")
	switch {
	case !set:
		p.add("APIDECK_API_KEY", "required (or APIDECK_API_KEY_FILE)")
	case !key.IsZero() && !printable(key.Reveal()):
		// It travels in a header; say so without showing any of it.
		p.add("APIDECK_API_KEY", "must be printable ASCII without spaces or line breaks")
	}
	c.APIKey = key

	u := &c.Upstream
	u.AppID = p.str("APIDECK_APP_ID", "")
	switch {
	case u.AppID == "":
		p.add("APIDECK_APP_ID", "required")
	case !printable(u.AppID):
		p.add("APIDECK_APP_ID", "must be printable ASCII without spaces")
	}
	// The client appends "/vault/sessions".
	u.BaseURL = strings.TrimRight(p.url("APIDECK_BASE_URL", u.BaseURL, false), "/")
	if v := p.str("VAULT_ORIGIN", ""); v != "" {
		o, err := upstream.ParseOrigin(v)
		if err != nil {
			p.add("VAULT_ORIGIN", "%w", err)
		}
		u.VaultOrigin = o
	}
}

// parseConnect reads what /connect sends and accepts.
func (p *parser) parseConnect(d handler.ConnectConfig) handler.ConnectConfig {
	c := handler.ConnectConfig{
		Mapping:          p.parseMapping(d.Mapping),
		UnifiedAPIs:      d.UnifiedAPIs,
		Settings:         p.parseSettings(d.Settings),
		Theme:            p.parseTheme(d.Theme),
		LoginURL:         p.url("AUTH_LOGIN_URL", d.LoginURL, true),
		CORSOrigins:      p.parseCORSOrigins(d.CORSOrigins),
		TrustedProxyHops: p.integer("TRUSTED_PROXY_HOPS", d.TrustedProxyHops, 0, 10),
	}
	if ids := p.list("VAULT_UNIFIED_APIS"); ids != nil {
		c.UnifiedAPIs = ids
		if unknown := notIn(ids, upstream.UnifiedAPIs); unknown != "" {
			p.add("VAULT_UNIFIED_APIS", "unknown unified API ids %s (known: %s)", unknown, strings.Join(upstream.UnifiedAPIs, ", "))
			c.UnifiedAPIs = d.UnifiedAPIs
		}
	}
	// Unset is nil, not sent (Vault allows every action); set but empty
	// is sent as [] (no action allowed).
	if _, set := p.lookup("VAULT_ALLOW_ACTIONS"); set {
		c.Settings.AllowActions = append([]string{}, p.list("VAULT_ALLOW_ACTIONS")...)
		if unknown := notIn(c.Settings.AllowActions, upstream.AllowActions); unknown != "" {
			p.add("VAULT_ALLOW_ACTIONS", "unknown actions %s (known: %s)", unknown, strings.Join(upstream.AllowActions, ", "))
		}
	}
	c.Settings.SessionLength, c.SessionLength = p.parseSessionLength(d.Settings.SessionLength, d.SessionLength)
	c.Redirects, c.DefaultRedirectURI = p.parseRedirects(d)
	return c
}

// parseMapping reads the CONSUMER_* variables and the base custom settings.
func (p *parser) parseMapping(d auth.Mapping) auth.Mapping {
	m := auth.Mapping{
		IDClaim:          p.str("CONSUMER_ID_CLAIM", d.IDClaim),
		IDPrefix:         p.str("CONSUMER_ID_PREFIX", d.IDPrefix),
		AccountNameClaim: p.str("CONSUMER_ACCOUNT_NAME_CLAIM", d.AccountNameClaim),
		UserNameClaim:    p.str("CONSUMER_USER_NAME_CLAIM", d.UserNameClaim),
		EmailClaim:       p.str("CONSUMER_EMAIL_CLAIM", d.EmailClaim),
		ImageClaim:       p.str("CONSUMER_IMAGE_CLAIM", d.ImageClaim),
		SettingsClaim:    p.str("CONSUMER_SETTINGS_CLAIM", d.SettingsClaim),
		BaseSettings:     p.parseCustomSettings(d.BaseSettings),
	}
	// The prefix must leave room for a claim value within a valid id.
	if m.IDPrefix != "" && (!auth.ValidID(m.IDPrefix) || len(m.IDPrefix) >= auth.MaxIDLen) {
		p.add("CONSUMER_ID_PREFIX", "must be printable ASCII without spaces, shorter than %d bytes", auth.MaxIDLen)
		m.IDPrefix = d.IDPrefix
	}
	return m
}

// parseCustomSettings reads VAULT_CUSTOM_CONSUMER_SETTINGS, a JSON object.
// Numbers stay json.Number so that large integers and exact decimals (tax
// rates) reach Apideck as written.
func (p *parser) parseCustomSettings(def map[string]any) map[string]any {
	const name = "VAULT_CUSTOM_CONSUMER_SETTINGS"
	v := p.str(name, "")
	if v == "" {
		return def
	}
	dec := json.NewDecoder(strings.NewReader(v))
	dec.UseNumber()
	var obj map[string]any
	// The messages give an offset, never the document, which may hold
	// values the operator considers private.
	err := dec.Decode(&obj)
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &syntaxErr):
		p.add(name, "not valid JSON: syntax error at byte %d", syntaxErr.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		p.add(name, "not valid JSON: unexpected end of input")
	case err != nil || obj == nil: // a *json.UnmarshalTypeError, or null
		p.add(name, "must be a JSON object ({…})")
	case dec.Decode(new(json.RawMessage)) != io.EOF:
		p.add(name, "must be a single JSON object, found more after it")
	default:
		return obj
	}
	return def
}

// parseRedirects reads VAULT_REDIRECT_URI and VAULT_ALLOWED_REDIRECT_URIS,
// which defaults to d's list, else to the default redirect. The default
// must pass the list, or every request without a redirect_uri would fail.
func (p *parser) parseRedirects(d handler.ConnectConfig) (*handler.Allowlist, string) {
	def := p.str("VAULT_REDIRECT_URI", "")
	if def != "" {
		// The allow-list entries' rules, which a one-entry list applies.
		if _, err := handler.NewAllowlist([]string{def}); err != nil {
			p.add("VAULT_REDIRECT_URI", "%s", strings.TrimPrefix(err.Error(), "redirect allow-list entry 0: "))
			def = ""
		}
	} else {
		def = d.DefaultRedirectURI
	}

	allow := d.Redirects
	if entries := p.list("VAULT_ALLOWED_REDIRECT_URIS"); entries != nil || allow == nil {
		if entries == nil && def != "" {
			entries = []string{def}
		}
		var err error
		if allow, err = handler.NewAllowlist(entries); err != nil {
			p.add("VAULT_ALLOWED_REDIRECT_URIS", "%w", err)
			// An empty list allows nothing: safe while the problem is reported.
			allow, _ = handler.NewAllowlist(nil)
			return allow, ""
		}
	}
	if def == "" {
		return allow, ""
	}
	normalised, err := allow.Check(def)
	if err != nil {
		p.add("VAULT_REDIRECT_URI", "not allowed by VAULT_ALLOWED_REDIRECT_URIS")
		return allow, ""
	}
	return allow, normalised
}

// parseCORSOrigins reads exact origins, normalised as browsers send them.
// A wildcard is refused: /connect answers with credentials, which must
// never be shared with every site.
func (p *parser) parseCORSOrigins(def []string) []string {
	var origins []string
	for i, item := range p.list("CORS_ALLOWED_ORIGINS") {
		o, err := upstream.ParseOrigin(item)
		switch {
		case item == "*" || item == "null":
			p.add("CORS_ALLOWED_ORIGINS", "entry %d: %q is not allowed; list exact origins", i, item)
		case err != nil:
			p.add("CORS_ALLOWED_ORIGINS", "entry %d: %v", i, err)
		case !slices.Contains(origins, o):
			origins = append(origins, o)
		}
	}
	if origins == nil {
		return def
	}
	return origins
}

// parseSessionLength reads VAULT_SESSION_LENGTH, forwarded verbatim, so
// only the grammar of Apideck's own examples is accepted: <n>m, <n>h or
// <n>d, n >= 1 without a leading zero, at most one week. The parsed length
// lets /connect answer expires_at.
func (p *parser) parseSessionLength(defVerbatim string, def time.Duration) (string, time.Duration) {
	v := p.str("VAULT_SESSION_LENGTH", "")
	if v == "" {
		return defVerbatim, def
	}
	const week = 7 * 24 * time.Hour // Apideck's maximum
	unit := map[byte]time.Duration{'m': time.Minute, 'h': time.Hour, 'd': 24 * time.Hour}[v[len(v)-1]]
	digits := v[:len(v)-1]
	if unit == 0 || digits == "" || digits[0] == '0' || strings.Trim(digits, "0123456789") != "" {
		p.add("VAULT_SESSION_LENGTH", "%q: must be <n>m, <n>h or <n>d (e.g. 30m, 1h, 7d), at most one week", v)
		return defVerbatim, def
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || n > int64(week/unit) {
		p.add("VAULT_SESSION_LENGTH", "%q is longer than one week (10080m, 168h, 7d)", v)
		return defVerbatim, def
	}
	return v, time.Duration(n) * unit
}

// parseSettings reads the VAULT_SETTINGS_* booleans; unset ones stay as in
// d, nil by default so that Apideck's defaults apply.
func (p *parser) parseSettings(d upstream.Settings) upstream.Settings {
	return upstream.Settings{
		HideResourceSettings: p.boolean("VAULT_SETTINGS_HIDE_RESOURCE_SETTINGS", d.HideResourceSettings),
		SandboxMode:          p.boolean("VAULT_SETTINGS_SANDBOX_MODE", d.SandboxMode),
		IsolationMode:        p.boolean("VAULT_SETTINGS_ISOLATION_MODE", d.IsolationMode),
		ShowLogs:             p.boolean("VAULT_SETTINGS_SHOW_LOGS", d.ShowLogs),
		ShowSuggestions:      p.boolean("VAULT_SETTINGS_SHOW_SUGGESTIONS", d.ShowSuggestions),
		ShowSidebar:          p.boolean("VAULT_SETTINGS_SHOW_SIDEBAR", d.ShowSidebar),
		AutoRedirect:         p.boolean("VAULT_SETTINGS_AUTO_REDIRECT", d.AutoRedirect),
		HideGuides:           p.boolean("VAULT_SETTINGS_HIDE_GUIDES", d.HideGuides),
		AllowActions:         d.AllowActions,
	}
}

// parseTheme reads the VAULT_THEME_* strings; nil when none is set.
func (p *parser) parseTheme(d *upstream.Theme) *upstream.Theme {
	var def upstream.Theme
	if d != nil {
		def = *d
	}
	color := func(name, def string) string {
		// Vault's theme takes #rgb or #rrggbb.
		v := p.str(name, def)
		if n := len(v); n > 0 && (n != 4 && n != 7 || v[0] != '#' || strings.Trim(v[1:], "0123456789abcdefABCDEF") != "") {
			p.add(name, "%q is not a #rgb or #rrggbb colour", v)
			return def
		}
		return v
	}
	t := upstream.Theme{
		Favicon:                  p.url("VAULT_THEME_FAVICON", def.Favicon, true),
		Logo:                     p.url("VAULT_THEME_LOGO", def.Logo, true),
		PrimaryColor:             color("VAULT_THEME_PRIMARY_COLOR", def.PrimaryColor),
		SidepanelBackgroundColor: color("VAULT_THEME_SIDEPANEL_BACKGROUND_COLOR", def.SidepanelBackgroundColor),
		SidepanelTextColor:       color("VAULT_THEME_SIDEPANEL_TEXT_COLOR", def.SidepanelTextColor),
		VaultName:                p.str("VAULT_THEME_VAULT_NAME", def.VaultName),
		PrivacyURL:               p.url("VAULT_THEME_PRIVACY_URL", def.PrivacyURL, true),
		TermsURL:                 p.url("VAULT_THEME_TERMS_URL", def.TermsURL, true),
	}
	if strings.ContainsFunc(t.VaultName, unicode.IsControl) {
		// It is shown on a page.
		p.add("VAULT_THEME_VAULT_NAME", "must not contain control characters")
		t.VaultName = def.VaultName
	}
	if t == (upstream.Theme{}) {
		return nil
	}
	return &t
}

// printable reports whether v is non-empty printable ASCII without spaces,
// which travels in an HTTP header unchanged.
func printable(v string) bool {
	return v != "" && !strings.ContainsFunc(v, func(r rune) bool { return r <= ' ' || r >= 0x7f })
}
