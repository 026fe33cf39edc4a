package simulator

import (
	"bytes"
	"embed"
	"encoding/json"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// templateFS holds the simulated Vault pages. embed needs a package-level
// variable; it is read-only.
//
//go:embed templates/*.html
var templateFS embed.FS

const (
	defaultVaultName     = "Apideck Vault"
	defaultPrimary       = "#286efa"
	defaultSidepanelBg   = "#f4f5f7"
	defaultSidepanelText = "#1f2937"
	invalidSessionText   = "This Vault session has expired or is invalid"
	unavailableText      = "This integration is not available in this Vault session"
)

func parsePages() (*template.Template, error) {
	return template.ParseFS(templateFS, "templates/*.html")
}

// vaultPage is what templates/vault.html shows.
type vaultPage struct {
	VaultName     string
	ConsumerID    string
	ApplicationID string
	Metadata      []field
	UnifiedAPIs   []string
	Connector     *connector
	Integrations  []integrationItem
	Settings      []field
	Theme         []field
	RedirectURI   string // as sent, shown as text
	Custom        string // custom_consumer_settings as indented JSON
	ExpiresAt     string // RFC 3339, UTC
	BackURL       string // empty: no link
	PrivacyURL    string
	TermsURL      string
	Colors        colors
}

type field struct{ ID, Label, Value string }

type connector struct{ UnifiedAPI, ServiceID string }

type colors struct{ Primary, SidepanelBg, SidepanelText string }

// errorPage is what templates/error.html shows.
type errorPage struct{ ID, Message string }

// handleSessionPage serves GET /session/{token}, where a session URI leads.
func (s *Simulator) handleSessionPage(w http.ResponseWriter, r *http.Request) {
	s.renderVault(w, r.PathValue("token"), nil)
}

// handleIntegrationPage serves Vault's deep link to one connector,
// GET /integrations/{unified_api}/{service_id}?jwt={token}.
func (s *Simulator) handleIntegrationPage(w http.ResponseWriter, r *http.Request) {
	s.renderVault(w, r.URL.Query().Get("jwt"), &connector{
		UnifiedAPI: r.PathValue("unified_api"),
		ServiceID:  r.PathValue("service_id"),
	})
}

func (s *Simulator) renderVault(w http.ResponseWriter, token string, conn *connector) {
	claims, err := s.VerifyToken(token)
	if err != nil {
		s.renderPage(w, http.StatusUnauthorized, "error.html", errorPage{ID: "session-invalid", Message: invalidSessionText})
		return
	}
	if conn != nil {
		if k, ok := lookupConnector(conn.UnifiedAPI, conn.ServiceID); !ok || !offered(claims, conn, k) {
			s.renderPage(w, http.StatusNotFound, "error.html", errorPage{ID: "integration-unavailable", Message: unavailableText})
			return
		}
	}
	p := newVaultPage(claims, conn)
	p.BackURL = s.relativeToVault(p.BackURL)
	p.Integrations = s.integrationItems(claims, conn)
	s.renderPage(w, http.StatusOK, "vault.html", p)
}

// relativeToVault makes a link on the configured Vault origin path-relative.
// When the app and Vault share one listener (demo mode) the browser may know
// it by another name (127.0.0.1, a forwarded port), and a relative link keeps
// that name. A remainder a browser would read as another host stays absolute.
func (s *Simulator) relativeToVault(link string) string {
	s.mu.Lock()
	origin := s.origin
	s.mu.Unlock()
	rest, ok := strings.CutPrefix(link, origin)
	if origin == "" || !ok || !strings.HasPrefix(rest, "/") || strings.HasPrefix(rest, "//") || strings.HasPrefix(rest, `/\`) {
		return link
	}
	return rest
}

// renderPage renders into a buffer first so a template error never leaves
// a half page behind.
func (s *Simulator) renderPage(w http.ResponseWriter, status int, name string, data any) {
	var buf bytes.Buffer
	if err := s.pages.ExecuteTemplate(&buf, name, data); err != nil {
		internalError().write(w)
		return
	}
	h := w.Header()
	// The session token is in the URL: keep it out of caches and out of
	// Referer headers sent by links on the page.
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	// No scripts at all; inline styles carry the theme colours, data: URLs
	// the connector icons, and forms post back to the page itself.
	h.Set("Content-Security-Policy", "default-src 'none'; img-src data:; style-src 'unsafe-inline'; "+
		"base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
	response{status: status, contentType: "text/html; charset=utf-8", body: buf.Bytes()}.write(w)
}

func newVaultPage(c Claims, conn *connector) vaultPage {
	p := vaultPage{
		VaultName:     defaultVaultName,
		ConsumerID:    c.ConsumerID,
		ApplicationID: c.ApplicationID,
		UnifiedAPIs:   c.Settings.UnifiedAPIs,
		Connector:     conn,
		Settings:      settingsFields(c),
		RedirectURI:   c.RedirectURI,
		ExpiresAt:     c.ExpiresAt.UTC().Format(time.RFC3339),
		BackURL:       httpURL(c.RedirectURI),
		Colors:        colors{Primary: defaultPrimary, SidepanelBg: defaultSidepanelBg, SidepanelText: defaultSidepanelText},
	}
	if m := c.ConsumerMetadata; m != nil {
		p.Metadata = nonEmpty([]field{
			{"account-name", "Account", m.AccountName},
			{"user-name", "User", m.UserName},
			{"consumer-email", "Email", m.Email},
			{"consumer-image", "Image", m.Image},
		})
	}
	if t := c.Theme; t != nil {
		if t.VaultName != "" {
			p.VaultName = t.VaultName
		}
		p.Colors.Primary = colorOr(t.PrimaryColor, p.Colors.Primary)
		p.Colors.SidepanelBg = colorOr(t.SidepanelBackgroundColor, p.Colors.SidepanelBg)
		p.Colors.SidepanelText = colorOr(t.SidepanelTextColor, p.Colors.SidepanelText)
		p.PrivacyURL = httpURL(t.PrivacyURL)
		p.TermsURL = httpURL(t.TermsURL)
		// Every value as sent, as text: URLs here are never fetched.
		p.Theme = nonEmpty([]field{
			{"theme-vault-name", "vault_name", t.VaultName},
			{"theme-logo", "logo", t.Logo},
			{"theme-favicon", "favicon", t.Favicon},
			{"theme-primary-color", "primary_color", t.PrimaryColor},
			{"theme-sidepanel-background-color", "sidepanel_background_color", t.SidepanelBackgroundColor},
			{"theme-sidepanel-text-color", "sidepanel_text_color", t.SidepanelTextColor},
			{"theme-privacy-url", "privacy_url", t.PrivacyURL},
			{"theme-terms-url", "terms_url", t.TermsURL},
		})
	}
	if len(c.CustomConsumerSettings) > 0 {
		var b strings.Builder
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false) // html/template escapes; \u003c would only hurt readability
		enc.SetIndent("", "  ")
		if enc.Encode(c.CustomConsumerSettings) == nil {
			p.Custom = strings.TrimSpace(b.String())
		}
	}
	return p
}

// settingsFields lists the settings the session was created with.
func settingsFields(c Claims) []field {
	st := c.Settings
	var out []field
	for _, b := range []struct {
		name string
		v    *bool
	}{
		{"hide_resource_settings", st.HideResourceSettings}, {"sandbox_mode", st.SandboxMode},
		{"isolation_mode", st.IsolationMode}, {"show_logs", st.ShowLogs},
		{"show_suggestions", st.ShowSuggestions}, {"show_sidebar", st.ShowSidebar},
		{"auto_redirect", st.AutoRedirect}, {"hide_guides", st.HideGuides},
	} {
		if b.v != nil {
			out = append(out, field{"setting-" + strings.ReplaceAll(b.name, "_", "-"), b.name, strconv.FormatBool(*b.v)})
		}
	}
	if st.AllowActions != nil {
		v := strings.Join(st.AllowActions, ", ")
		if v == "" {
			v = "none"
		}
		out = append(out, field{"setting-allow-actions", "allow_actions", v})
	}
	if st.SessionLength != "" {
		out = append(out, field{"setting-session-length", "session_length", st.SessionLength})
	}
	return out
}

func nonEmpty(fs []field) []field {
	return slices.DeleteFunc(fs, func(f field) bool { return f.Value == "" })
}

// httpURL returns u when it is an absolute http(s) URL, else "". Other
// schemes (javascript:, data:) never become links.
func httpURL(u string) string {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return ""
	}
	return u
}

// colorOr returns c when it is a plain CSS colour (#rgb, #rgba, #rrggbb,
// #rrggbbaa or a colour keyword), else def. Only such values reach the
// style sheet; html/template's CSS filter is a second line of defence.
func colorOr(c, def string) string {
	if hex, ok := strings.CutPrefix(c, "#"); ok {
		if n := len(hex); (n == 3 || n == 4 || n == 6 || n == 8) && strings.Trim(hex, "0123456789abcdefABCDEF") == "" {
			return c
		}
		return def
	}
	if n := len(c); n > 0 && n <= 32 && strings.Trim(c, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") == "" {
		return c
	}
	return def
}
