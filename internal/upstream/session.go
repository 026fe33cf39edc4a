package upstream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// SessionRequest is the body of POST /vault/sessions. It is built only from
// server configuration plus request options that were narrowed against it,
// never from the browser's JSON.
type SessionRequest struct {
	ConsumerMetadata       *ConsumerMetadata `json:"consumer_metadata,omitempty"`
	RedirectURI            string            `json:"redirect_uri,omitempty"`
	Settings               *Settings         `json:"settings,omitempty"`
	Theme                  *Theme            `json:"theme,omitempty"`
	CustomConsumerSettings map[string]any    `json:"custom_consumer_settings,omitempty"`
}

// ConsumerMetadata describes the consumer in Vault's header.
type ConsumerMetadata struct {
	AccountName string `json:"account_name,omitempty"`
	UserName    string `json:"user_name,omitempty"`
	Email       string `json:"email,omitempty"`
	Image       string `json:"image,omitempty"`
}

// Settings are Vault's session settings. Nil booleans are not sent, so
// Apideck's own defaults apply.
type Settings struct {
	UnifiedAPIs          []string `json:"unified_apis,omitempty"`
	HideResourceSettings *bool    `json:"hide_resource_settings,omitempty"`
	SandboxMode          *bool    `json:"sandbox_mode,omitempty"`
	IsolationMode        *bool    `json:"isolation_mode,omitempty"`
	ShowLogs             *bool    `json:"show_logs,omitempty"`
	ShowSuggestions      *bool    `json:"show_suggestions,omitempty"`
	ShowSidebar          *bool    `json:"show_sidebar,omitempty"`
	AutoRedirect         *bool    `json:"auto_redirect,omitempty"`
	HideGuides           *bool    `json:"hide_guides,omitempty"`
	// AllowActions is omitted when nil (all actions) and sent as [] (none)
	// when empty but non-nil.
	AllowActions  []string `json:"allow_actions,omitzero"`
	SessionLength string   `json:"session_length,omitempty"`
}

// Theme customises Vault's look.
type Theme struct {
	Favicon                  string `json:"favicon,omitempty"`
	Logo                     string `json:"logo,omitempty"`
	PrimaryColor             string `json:"primary_color,omitempty"`
	SidepanelBackgroundColor string `json:"sidepanel_background_color,omitempty"`
	SidepanelTextColor       string `json:"sidepanel_text_color,omitempty"`
	VaultName                string `json:"vault_name,omitempty"`
	PrivacyURL               string `json:"privacy_url,omitempty"`
	TermsURL                 string `json:"terms_url,omitempty"`
}

// UnifiedAPIs lists the unified API ids Apideck documents for
// settings.unified_apis.
var UnifiedAPIs = []string{
	"accounting", "ats", "calendar", "crm", "csp", "customer-support",
	"ecommerce", "email", "email-marketing", "expense-management",
	"file-storage", "form", "hris", "lead", "payroll", "pos", "procurement",
	"project-management", "script", "sms", "spreadsheet",
	"subscription-analytics", "team-messaging", "issue-tracking",
	"time-registration", "transactional-email", "vault", "data-warehouse",
}

// AllowActions lists the values Apideck accepts in settings.allow_actions.
var AllowActions = []string{"delete", "disconnect", "reauthorize", "disable"}

// Session is a created Vault session. URI and Token are bearer credentials:
// never log them.
type Session struct {
	URI       string
	Token     string
	CreatedAt time.Time // when Apideck answered
}

// Result describes the upstream exchange for access logs and metrics,
// whether or not it succeeded.
type Result struct {
	Status   int           // HTTP status of the last attempt; 0 if none was received
	Attempts int           // attempts made, retries included
	Duration time.Duration // wall time of the call: slot wait, attempts and backoff
	Dropped  int           // list_connections: connections left out as unreadable
}

// The messages below are fixed on purpose: json and url errors quote parts of
// their input, and the input here is a session URI or an upstream body.
var (
	errNotJSON          = errors.New("success body is not the expected JSON")
	errNoSessionURI     = errors.New("success body has no session_uri")
	errNoSessionToken   = errors.New("success body has no usable session_token")
	errBadSessionURI    = errors.New("session_uri is not an absolute http(s) URL")
	errForeignOrigin    = errors.New("session_uri is not on the vault origin")
	errBodyTooLarge     = errors.New("body larger than the read limit")
	errRedirectAnswered = errors.New("redirect answered, not followed")
)

// CreateSession POSTs {BaseURL}/vault/sessions for consumerID with body,
// the JSON of a SessionRequest, which every attempt sends as it is.
func (c *Client) CreateSession(ctx context.Context, consumerID string, body []byte) (Session, Result, error) {
	var sess Session
	res, err := c.do(ctx, consumerID, call{
		operation: opCreateSession, method: http.MethodPost, path: "/vault/sessions", body: body,
		// Another session is harmless, so a failed attempt is repeated.
		retry: true, maxBody: maxBodyBytes,
		parse: func(data []byte) (err error) {
			sess, err = parseSession(data, c.cfg.VaultOrigin, time.Now())
			return err
		},
	})
	if err != nil {
		return Session{}, res, err
	}
	return sess, res, nil
}

// parseSession turns a success body into a Session whose URI is on the
// vault origin (as ParseOrigin returns it).
func parseSession(body []byte, vault string, now time.Time) (Session, error) {
	var answer struct {
		Data *struct {
			SessionURI   string `json:"session_uri"`
			SessionToken string `json:"session_token"`
		} `json:"data"`
	}
	if json.Unmarshal(body, &answer) != nil {
		return Session{}, errNotJSON
	}
	data := answer.Data
	if data == nil || data.SessionURI == "" {
		return Session{}, errNoSessionURI
	}
	// The token is a JWT that ends up in URLs and pages: printable ASCII
	// without spaces, or nothing to pass on.
	if t := data.SessionToken; t == "" || strings.ContainsFunc(t, func(r rune) bool { return r <= ' ' || r > '~' }) {
		return Session{}, errNoSessionToken
	}
	u, err := url.Parse(data.SessionURI)
	if err != nil || !u.IsAbs() || u.Host == "" || u.Opaque != "" {
		return Session{}, errBadSessionURI
	}
	// Userinfo never belongs in a Vault link and is a classic way to make a
	// URL look like it points somewhere it does not. The error names origins
	// only: the rest of a session URI is a credential.
	got := originOf(u)
	if u.User != nil {
		got += " with userinfo"
	}
	if got != vault {
		return Session{}, fmt.Errorf("%w: expected %s, got %.200s", errForeignOrigin, vault, got)
	}
	return Session{URI: data.SessionURI, Token: data.SessionToken, CreatedAt: now}, nil
}

// errorTypeName returns Apideck's type_name (e.g. "RequestValidationError")
// when the body has one that looks like an identifier, else "". Nothing else
// of an error body is read: it may echo request data.
func errorTypeName(body []byte) string {
	var shape struct {
		TypeName string `json:"type_name"`
	}
	if json.Unmarshal(body, &shape) != nil || len(shape.TypeName) > 64 || strings.ContainsFunc(shape.TypeName, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '.' || r == '-')
	}) {
		return ""
	}
	return shape.TypeName
}

// ParseOrigin returns s as browsers write an origin in the Origin header:
// lower-case "scheme://host[:port]" with the scheme's default port left
// out. s must be an absolute http(s) URL with nothing after the authority
// but an optional "/". The errors never quote s whole (a URL may carry a
// credential), so they can be shown to whoever configured it.
func ParseOrigin(s string) (string, error) {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return "", fmt.Errorf("not a valid URL: %w", errors.Unwrap(err))
	case u.Scheme != "http" && u.Scheme != "https": // url.Parse lower-cases the scheme
		return "", errors.New("must be an absolute http:// or https:// URL")
	case u.Opaque != "" || u.Hostname() == "":
		return "", errors.New("must be an absolute URL with a host")
	case u.User != nil:
		// Credentials in a URL end up in logs and process listings.
		return "", errors.New("must not contain userinfo (user:password@)")
	case u.Fragment != "" || strings.Contains(s, "#"):
		return "", errors.New("must not contain a fragment (#…)")
	case u.RawQuery != "" || u.ForceQuery:
		return "", errors.New("must not contain a query (?…)")
	case u.Path != "" && u.Path != "/" || u.RawPath != "":
		return "", errors.New("must be an origin (scheme://host[:port]) without a path")
	}
	return originOf(u), nil
}

// originOf is the origin of an absolute URL as ParseOrigin writes it, so
// "HTTPS://Vault.Apideck.com:443/x" is on "https://vault.apideck.com".
func originOf(u *url.URL) string {
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if u.Scheme == "http" && port == "80" || u.Scheme == "https" && port == "443" {
		port = ""
	}
	switch {
	case port != "":
		host = net.JoinHostPort(host, port)
	case strings.Contains(host, ":"):
		host = "[" + host + "]" // IPv6 literal
	}
	return u.Scheme + "://" + host
}
