package config

import (
	"encoding/json"
	"errors"
	"io"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/vaultgate/vaultgate/internal/auth"
	"github.com/vaultgate/vaultgate/internal/handler"
	"github.com/vaultgate/vaultgate/internal/upstream"
)

// parseApideck reads the Apideck account, which demo mode sets itself.
func (p *parser) parseApideck(c *Config) {
	// Printable ASCII: the key and app id travel in headers. No message
	// shows any of the key.
	key, set := p.secret("APIDECK_API_KEY")
	switch {
	case !set:
		p.add("APIDECK_API_KEY", "required (or APIDECK_API_KEY_FILE)")
	case !key.IsZero() && !printable(key.Reveal()):
		p.add("APIDECK_API_KEY", "must be printable ASCII without spaces or line breaks")
	}
	c.APIKey = key
	u := &c.Upstream
	switch u.AppID = p.str("APIDECK_APP_ID", ""); {
	case u.AppID == "":
		p.add("APIDECK_APP_ID", "required")
	case !printable(u.AppID):
		p.add("APIDECK_APP_ID", "must be printable ASCII without spaces")
	}
	// The client appends "/vault/sessions".
	u.BaseURL = strings.TrimRight(p.url("APIDECK_BASE_URL", u.BaseURL, urlPlain), "/")
	// The API key travels in every request's Authorization header.
	if allow := p.boolean("APIDECK_ALLOW_HTTP", new(bool)); cleartext(u.BaseURL) && !*allow {
		p.add("APIDECK_BASE_URL", "plain http:// would send the API key in clear; use https:// (or set APIDECK_ALLOW_HTTP=true)")
	}
	if v := p.str("VAULT_ORIGIN", ""); v != "" {
		o, err := upstream.ParseOrigin(v)
		if err != nil {
			p.add("VAULT_ORIGIN", "%v", err)
		}
		u.VaultOrigin = o
	}
}

// printable reports whether v is non-empty printable ASCII without spaces.
func printable(v string) bool {
	return v != "" && !strings.ContainsFunc(v, func(r rune) bool { return r <= ' ' || r >= 0x7f })
}

// parseConnect reads what /connect sends and accepts.
func (p *parser) parseConnect(d handler.ConnectConfig) handler.ConnectConfig {
	c := handler.ConnectConfig{
		Mapping:     p.parseMapping(d.Mapping),
		UnifiedAPIs: d.UnifiedAPIs,
		// Unset settings stay as in d, nil by default: Apideck's defaults apply.
		Settings: upstream.Settings{
			HideResourceSettings: p.boolean("VAULT_SETTINGS_HIDE_RESOURCE_SETTINGS", d.Settings.HideResourceSettings),
			SandboxMode:          p.boolean("VAULT_SETTINGS_SANDBOX_MODE", d.Settings.SandboxMode),
			IsolationMode:        p.boolean("VAULT_SETTINGS_ISOLATION_MODE", d.Settings.IsolationMode),
			ShowLogs:             p.boolean("VAULT_SETTINGS_SHOW_LOGS", d.Settings.ShowLogs),
			ShowSuggestions:      p.boolean("VAULT_SETTINGS_SHOW_SUGGESTIONS", d.Settings.ShowSuggestions),
			ShowSidebar:          p.boolean("VAULT_SETTINGS_SHOW_SIDEBAR", d.Settings.ShowSidebar),
			AutoRedirect:         p.boolean("VAULT_SETTINGS_AUTO_REDIRECT", d.Settings.AutoRedirect),
			HideGuides:           p.boolean("VAULT_SETTINGS_HIDE_GUIDES", d.Settings.HideGuides),
			AllowActions:         d.Settings.AllowActions,
		},
		Theme:             p.parseTheme(d.Theme),
		LoginURL:          p.url("AUTH_LOGIN_URL", d.LoginURL, urlQuery),
		AppURL:            p.url("APP_URL", d.AppURL, urlQuery),
		ErrorRedirectURL:  p.url("ERROR_REDIRECT_URL", d.ErrorRedirectURL, urlQuery),
		CallbackPath:      p.callbackPath(d.CallbackPath),
		CORSOrigins:       d.CORSOrigins,
		TrustedProxyHops:  p.integer("TRUSTED_PROXY_HOPS", d.TrustedProxyHops, 0, 10),
		TrustedProxyCIDRs: p.prefixes("TRUSTED_PROXY_CIDRS"),
	}
	if c.TrustedProxyHops > 0 && p.list("TRUSTED_PROXY_CIDRS") == nil {
		// Otherwise any client could write its own X-Forwarded-For entry.
		p.add("TRUSTED_PROXY_CIDRS", "required when TRUSTED_PROXY_HOPS > 0: the proxies whose X-Forwarded-For is read")
	}
	if ids := p.list("VAULT_UNIFIED_APIS"); ids != nil {
		c.UnifiedAPIs = ids
		if unknown := notIn(ids, upstream.UnifiedAPIs); unknown != "" {
			p.add("VAULT_UNIFIED_APIS", "unknown unified API ids %s (known: %s)", unknown, strings.Join(upstream.UnifiedAPIs, ", "))
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
	// Exact origins, as browsers send them; never a wildcard: /connect
	// answers with credentials, which must not be shared with every site.
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
	if origins != nil {
		c.CORSOrigins = origins
	}
	c.Settings.SessionLength, c.SessionLength = p.parseSessionLength(d.Settings.SessionLength, d.SessionLength)
	c.Redirects, c.DefaultRedirectURI = p.parseRedirects(d)
	return c
}

// callbackPath reads VAULT_CALLBACK_PATH: a clean absolute path of
// unreserved characters (a router pattern must not read it as a
// parameter), apart from the routes vaultgate serves itself.
func (p *parser) callbackPath(def string) string {
	const name = "VAULT_CALLBACK_PATH"
	v := p.str(name, def)
	switch {
	case v == "":
	case !strings.HasPrefix(v, "/") || len(v) > 256 || path.Clean(v) != v || strings.Trim(v, "/") == "" ||
		strings.ContainsFunc(v, func(r rune) bool { return !strings.ContainsRune(callbackPathChars, r) }):
		p.add(name, "must be a path such as /vault/callback: starting with /, of letters, digits and / . _ ~ -, without empty, . or .. segments")
	case v == "/connect" || v == "/connections" || strings.HasPrefix(v, "/connections/"):
		p.add(name, "%s is one of vaultgate's own routes", v)
	default:
		return v
	}
	return ""
}

const callbackPathChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._~-"

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
		BaseSettings:     d.BaseSettings,
	}
	// The prefix must leave room for a claim value within a valid id.
	if m.IDPrefix != "" && (!auth.ValidID(m.IDPrefix) || len(m.IDPrefix) >= auth.MaxIDLen) {
		p.add("CONSUMER_ID_PREFIX", "must be printable ASCII without spaces, shorter than %d bytes", auth.MaxIDLen)
	}
	// A JSON object whose numbers stay json.Number, so that large integers
	// and exact decimals (tax rates) reach Apideck as written. Messages give
	// an offset, never the document, which may hold private values.
	const name = "VAULT_CUSTOM_CONSUMER_SETTINGS"
	v := p.str(name, "")
	dec := json.NewDecoder(strings.NewReader(v))
	dec.UseNumber()
	var obj map[string]any
	err := dec.Decode(&obj)
	var syntaxErr *json.SyntaxError
	switch {
	case v == "":
	case errors.As(err, &syntaxErr):
		p.add(name, "not valid JSON: syntax error at byte %d", syntaxErr.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		p.add(name, "not valid JSON: unexpected end of input")
	case err != nil || obj == nil: // a *json.UnmarshalTypeError, or null
		p.add(name, "must be a JSON object ({…})")
	case dec.Decode(new(json.RawMessage)) != io.EOF:
		p.add(name, "must be a single JSON object, found more after it")
	default:
		m.BaseSettings = obj
	}
	return m
}

// parseRedirects reads VAULT_REDIRECT_URI and VAULT_ALLOWED_REDIRECT_URIS,
// which defaults to d's list, else to the default redirect. The default
// must pass the list, or every request without a redirect_uri would fail.
func (p *parser) parseRedirects(d handler.ConnectConfig) (*handler.Allowlist, string) {
	def := p.str("VAULT_REDIRECT_URI", "")
	if def == "" {
		def = d.DefaultRedirectURI
	} else if _, err := handler.NewAllowlist([]string{def}); err != nil {
		// The allow-list entries' rules, which a one-entry list applies.
		p.add("VAULT_REDIRECT_URI", "%s", strings.TrimPrefix(err.Error(), "redirect allow-list entry 0: "))
		def = ""
	}
	allow := d.Redirects
	if entries := p.list("VAULT_ALLOWED_REDIRECT_URIS"); entries != nil || allow == nil {
		if entries == nil && def != "" {
			entries = []string{def}
		}
		var err error
		if allow, err = handler.NewAllowlist(entries); err != nil {
			p.add("VAULT_ALLOWED_REDIRECT_URIS", "%v", err)
			return nil, ""
		}
	}
	if def == "" {
		return allow, ""
	}
	normalised, err := allow.Check(def)
	if err != nil {
		p.add("VAULT_REDIRECT_URI", "not allowed by VAULT_ALLOWED_REDIRECT_URIS")
	}
	return allow, normalised
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
	n, err := strconv.ParseInt(digits, 10, 64)
	switch {
	case unit == 0 || digits == "" || digits[0] == '0' || strings.Trim(digits, "0123456789") != "":
		p.add("VAULT_SESSION_LENGTH", "%q: must be <n>m, <n>h or <n>d (e.g. 30m, 1h, 7d), at most one week", v)
	case err != nil || n > int64(week/unit):
		p.add("VAULT_SESSION_LENGTH", "%q is longer than one week (10080m, 168h, 7d)", v)
	}
	return v, time.Duration(n) * unit
}

// parseTheme reads the VAULT_THEME_* strings; nil when none is set. They
// are sent as given: Vault takes any CSS colour, and its pages' addresses
// may carry a query or fragment (a logo's #light).
func (p *parser) parseTheme(d *upstream.Theme) *upstream.Theme {
	var t upstream.Theme
	if d != nil {
		t = *d
	}
	t = upstream.Theme{
		Favicon:                  p.url("VAULT_THEME_FAVICON", t.Favicon, urlQueryFragment),
		Logo:                     p.url("VAULT_THEME_LOGO", t.Logo, urlQueryFragment),
		PrimaryColor:             p.str("VAULT_THEME_PRIMARY_COLOR", t.PrimaryColor),
		SidepanelBackgroundColor: p.str("VAULT_THEME_SIDEPANEL_BACKGROUND_COLOR", t.SidepanelBackgroundColor),
		SidepanelTextColor:       p.str("VAULT_THEME_SIDEPANEL_TEXT_COLOR", t.SidepanelTextColor),
		VaultName:                p.str("VAULT_THEME_VAULT_NAME", t.VaultName),
		PrivacyURL:               p.url("VAULT_THEME_PRIVACY_URL", t.PrivacyURL, urlQueryFragment),
		TermsURL:                 p.url("VAULT_THEME_TERMS_URL", t.TermsURL, urlQueryFragment),
	}
	if strings.ContainsFunc(t.VaultName, unicode.IsControl) {
		p.add("VAULT_THEME_VAULT_NAME", "must not contain control characters") // it is shown on a page
	}
	if t == (upstream.Theme{}) {
		return nil
	}
	return &t
}
