package upstream

import "time"

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
	// AllowActions is omitted when nil and sent as [] when empty but non-nil.
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

// Session is a created Vault session. URI and Token are bearer credentials:
// never log them.
type Session struct {
	URI   string
	Token string
	// CreatedAt is when Apideck answered.
	CreatedAt time.Time
}

// Result describes the upstream exchange for access logs and metrics,
// whether or not it succeeded.
type Result struct {
	Status   int           // HTTP status of the last attempt; 0 if none was received
	Attempts int           // attempts made, retries included
	Duration time.Duration // wall time of the call: slot wait, attempts and backoff
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
