package config

import (
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/vaultgate/vaultgate/internal/auth"
	"github.com/vaultgate/vaultgate/internal/handler"
	"github.com/vaultgate/vaultgate/internal/redirect"
)

// parseConnect reads what /connect sends and accepts: the Vault session
// options, the consumer mapping, redirects, CORS and the login URL.
// vaultOrigin is the already validated VAULT_ORIGIN.
func (p *problems) parseConnect(r rawEnv, vaultOrigin string) handler.ConnectConfig {
	c := handler.ConnectConfig{
		Mapping:          p.parseMapping(r),
		UnifiedAPIs:      p.parseUnifiedAPIs(r.UnifiedAPIs),
		Settings:         p.parseSettings(r),
		Theme:            p.parseTheme(r),
		VaultOrigin:      vaultOrigin,
		LoginURL:         p.urlVar("AUTH_LOGIN_URL", r.LoginURL, true),
		CORSOrigins:      p.parseCORSOrigins(r.CORSAllowedOrigins),
		TrustedProxyHops: p.integer("TRUSTED_PROXY_HOPS", r.TrustedProxyHops, 0, 0, 10),
	}
	c.Settings.AllowActions = p.parseAllowActions(r.AllowActions)
	c.Settings.SessionLength, c.SessionLength = p.parseSessionLength(r.SessionLength)
	c.Redirects, c.DefaultRedirectURI = p.parseRedirects(r.RedirectURI, r.AllowedRedirectURIs)
	return c
}

// parseMapping reads the CONSUMER_* variables and the base custom consumer
// settings.
func (p *problems) parseMapping(r rawEnv) auth.Mapping {
	m := auth.Mapping{
		IDClaim:          str(r.ConsumerIDClaim, "sub"),
		IDPrefix:         strings.TrimSpace(r.ConsumerIDPrefix),
		AccountNameClaim: str(r.AccountNameClaim, "org_name"),
		UserNameClaim:    str(r.UserNameClaim, "name"),
		EmailClaim:       str(r.EmailClaim, "email"),
		ImageClaim:       str(r.ImageClaim, "picture"),
		SettingsClaim:    strings.TrimSpace(r.ConsumerSettingsClaim),
		BaseSettings:     p.parseCustomSettings(r.CustomConsumerSettings),
	}
	// The prefix must leave room for at least one byte of the claim value
	// within the consumer id's 255 bytes of printable ASCII.
	if m.IDPrefix != "" && (!auth.ValidID(m.IDPrefix) || len(m.IDPrefix) >= auth.MaxIDLen) {
		p.add("CONSUMER_ID_PREFIX", "must be printable ASCII without spaces, shorter than %d bytes", auth.MaxIDLen)
		m.IDPrefix = ""
	}
	return m
}

// parseCustomSettings reads VAULT_CUSTOM_CONSUMER_SETTINGS, a JSON object.
// Numbers stay json.Number so that large integers and exact decimals (tax
// rates) reach Apideck as written.
func (p *problems) parseCustomSettings(raw string) map[string]any {
	v := strings.TrimSpace(raw)
	if v == "" {
		return nil
	}
	dec := json.NewDecoder(strings.NewReader(v))
	dec.UseNumber()
	var obj map[string]any
	// The decoder's messages give an offset, never the document, which
	// may hold values the operator considers private.
	err := dec.Decode(&obj)
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &typeErr) || err == nil && obj == nil:
		p.add("VAULT_CUSTOM_CONSUMER_SETTINGS", "must be a JSON object ({…})")
	case err != nil:
		p.add("VAULT_CUSTOM_CONSUMER_SETTINGS", "not valid JSON: %s", jsonReason(err))
	case dec.Decode(new(json.RawMessage)) != io.EOF:
		p.add("VAULT_CUSTOM_CONSUMER_SETTINGS", "must be a single JSON object, found more after it")
	default:
		return obj
	}
	return nil
}

// jsonReason is a decoder error's message without any echoed input.
func jsonReason(err error) string {
	var syntaxErr *json.SyntaxError
	if errors.As(err, &syntaxErr) {
		return "syntax error at byte " + strconv.FormatInt(syntaxErr.Offset, 10)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return "unexpected end of input"
	}
	return "cannot be decoded"
}

// parseRedirects reads VAULT_REDIRECT_URI and VAULT_ALLOWED_REDIRECT_URIS.
// The allow-list defaults to the default redirect; when both are set, the
// default must itself pass the list, or every request without its own
// redirect_uri would send one the list forbids.
func (p *problems) parseRedirects(rawDefault, rawAllowed string) (*redirect.Allowlist, string) {
	def := strings.TrimSpace(rawDefault)
	if def != "" {
		// The same rules as the allow-list's entries; a one-entry list is
		// how the redirect package exposes them.
		if _, err := redirect.New([]string{def}); err != nil {
			p.add("VAULT_REDIRECT_URI", "%s", strings.TrimPrefix(err.Error(), "redirect allow-list entry 0: "))
			def = ""
		}
	}

	entries := list(rawAllowed)
	explicit := entries != nil
	if !explicit && def != "" {
		entries = []string{def}
	}
	allow, err := redirect.New(entries)
	if err != nil {
		p.wrap("VAULT_ALLOWED_REDIRECT_URIS", err)
		// An empty list allows nothing: safe while the problem is reported.
		allow, _ = redirect.New(nil)
		return allow, ""
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

// parseCORSOrigins reads CORS_ALLOWED_ORIGINS: exact origins, normalised
// as browsers send them in Origin. A wildcard is refused: /connect answers
// with credentials, which must never be shared with every site.
func (p *problems) parseCORSOrigins(raw string) []string {
	var origins []string
	for i, item := range list(raw) {
		if item == "*" || item == "null" {
			p.add("CORS_ALLOWED_ORIGINS", "entry %d: %q is not allowed; list exact origins", i, item)
			continue
		}
		o, err := normalizeOrigin(item)
		if err != nil {
			p.add("CORS_ALLOWED_ORIGINS", "entry %d: %v", i, err)
			continue
		}
		if !slices.Contains(origins, o) {
			origins = append(origins, o)
		}
	}
	return origins
}
