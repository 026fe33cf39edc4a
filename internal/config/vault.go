package config

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vaultgate/vaultgate/internal/upstream"
)

// Bounds of VAULT_SESSION_LENGTH. Apideck documents one week as the maximum
// and defaults to one hour.
const (
	defaultSessionLength = time.Hour
	maxSessionLength     = 7 * 24 * time.Hour
)

// Prefixes of the variable families whose members are checked by name.
const (
	settingsPrefix = "VAULT_SETTINGS_"
	themePrefix    = "VAULT_THEME_"
)

// parseUnifiedAPIs reads VAULT_UNIFIED_APIS: nil offers every API.
func (p *problems) parseUnifiedAPIs(raw string) []string {
	ids := list(raw)
	if unknown := notIn(ids, upstream.UnifiedAPIs); len(unknown) > 0 {
		p.add("VAULT_UNIFIED_APIS", "unknown unified API ids %s (known: %s)",
			quoteList(unknown), strings.Join(upstream.UnifiedAPIs, ", "))
		return nil
	}
	return ids
}

// parseAllowActions reads VAULT_ALLOW_ACTIONS. Unset is nil (not sent, so
// Vault allows every action); set but empty is an empty, non-nil slice,
// sent as [] (no action allowed).
func (p *problems) parseAllowActions(raw *string) []string {
	if raw == nil {
		return nil
	}
	actions := list(*raw)
	if unknown := notIn(actions, upstream.AllowActions); len(unknown) > 0 {
		p.add("VAULT_ALLOW_ACTIONS", "unknown actions %s (known: %s)",
			quoteList(unknown), strings.Join(upstream.AllowActions, ", "))
	}
	if actions == nil {
		return []string{}
	}
	return actions
}

// parseSessionLength reads VAULT_SESSION_LENGTH. The value is forwarded
// verbatim, so only the grammar that Apideck's own examples use is
// accepted: <n>m, <n>h or <n>d with n >= 1 and no leading zero, at most one
// week. The parsed length lets /connect answer expires_at.
func (p *problems) parseSessionLength(raw string) (verbatim string, length time.Duration) {
	v := strings.TrimSpace(raw)
	if v == "" {
		return "", defaultSessionLength
	}
	const msg = "must be <n>m, <n>h or <n>d (e.g. 30m, 1h, 7d), at most one week"
	unit := map[byte]time.Duration{'m': time.Minute, 'h': time.Hour, 'd': 24 * time.Hour}[v[len(v)-1]]
	digits := v[:len(v)-1]
	if unit == 0 || digits == "" || digits[0] == '0' || strings.Trim(digits, "0123456789") != "" {
		p.add("VAULT_SESSION_LENGTH", "%q: %s", v, msg)
		return "", defaultSessionLength
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || n > int64(maxSessionLength/unit) {
		p.add("VAULT_SESSION_LENGTH", "%q is longer than one week (10080m, 168h, 7d)", v)
		return "", defaultSessionLength
	}
	return v, time.Duration(n) * unit
}

// parseSettings reads the VAULT_SETTINGS_* booleans; unset ones stay nil
// so Apideck's defaults apply.
func (p *problems) parseSettings(r rawEnv) upstream.Settings {
	return upstream.Settings{
		HideResourceSettings: p.boolean("VAULT_SETTINGS_HIDE_RESOURCE_SETTINGS", r.SettingHideResourceSettings),
		SandboxMode:          p.boolean("VAULT_SETTINGS_SANDBOX_MODE", r.SettingSandboxMode),
		IsolationMode:        p.boolean("VAULT_SETTINGS_ISOLATION_MODE", r.SettingIsolationMode),
		ShowLogs:             p.boolean("VAULT_SETTINGS_SHOW_LOGS", r.SettingShowLogs),
		ShowSuggestions:      p.boolean("VAULT_SETTINGS_SHOW_SUGGESTIONS", r.SettingShowSuggestions),
		ShowSidebar:          p.boolean("VAULT_SETTINGS_SHOW_SIDEBAR", r.SettingShowSidebar),
		AutoRedirect:         p.boolean("VAULT_SETTINGS_AUTO_REDIRECT", r.SettingAutoRedirect),
		HideGuides:           p.boolean("VAULT_SETTINGS_HIDE_GUIDES", r.SettingHideGuides),
	}
}

// parseTheme reads the VAULT_THEME_* strings; nil when none is set.
func (p *problems) parseTheme(r rawEnv) *upstream.Theme {
	color := func(name, raw string) string {
		v := strings.TrimSpace(raw)
		if v != "" && !isColor(v) {
			p.add(name, "%q is not a #rgb or #rrggbb colour", v)
			return ""
		}
		return v
	}
	t := upstream.Theme{
		Favicon:                  p.urlVar("VAULT_THEME_FAVICON", r.ThemeFavicon, true),
		Logo:                     p.urlVar("VAULT_THEME_LOGO", r.ThemeLogo, true),
		PrimaryColor:             color("VAULT_THEME_PRIMARY_COLOR", r.ThemePrimaryColor),
		SidepanelBackgroundColor: color("VAULT_THEME_SIDEPANEL_BACKGROUND_COLOR", r.ThemeSidepanelBackgroundColor),
		SidepanelTextColor:       color("VAULT_THEME_SIDEPANEL_TEXT_COLOR", r.ThemeSidepanelTextColor),
		VaultName:                p.text("VAULT_THEME_VAULT_NAME", r.ThemeVaultName),
		PrivacyURL:               p.urlVar("VAULT_THEME_PRIVACY_URL", r.ThemePrivacyURL, true),
		TermsURL:                 p.urlVar("VAULT_THEME_TERMS_URL", r.ThemeTermsURL, true),
	}
	if t == (upstream.Theme{}) {
		return nil
	}
	return &t
}

// checkFamilies rejects variables that carry a family's prefix but are not
// one of its members (VAULT_THEME_COLOUR for VAULT_THEME_PRIMARY_COLOR),
// so a typo fails at start-up instead of being silently ignored.
func (p *problems) checkFamilies(present []string) {
	known := varNames()
	var unknown []string
	for _, name := range present {
		if familyOf(name) != "" && !slices.Contains(known, name) && !slices.Contains(unknown, name) {
			unknown = append(unknown, name)
		}
	}
	slices.Sort(unknown)
	for _, name := range unknown {
		var members []string
		for _, k := range known {
			if familyOf(k) == familyOf(name) {
				members = append(members, k)
			}
		}
		p.add(name, "unknown variable (known: %s)", strings.Join(members, ", "))
	}
}

// familyOf returns the prefix of the checked family name belongs to, or "".
func familyOf(name string) string {
	for _, prefix := range []string{settingsPrefix, themePrefix} {
		if strings.HasPrefix(name, prefix) {
			return prefix
		}
	}
	return ""
}

// notIn returns the values that are not in allowed.
func notIn(values, allowed []string) []string {
	var out []string
	for _, v := range values {
		if !slices.Contains(allowed, v) {
			out = append(out, v)
		}
	}
	return out
}
