package simulator

import "strings"

// The request body of POST /vault/sessions (Apideck's Session schema), as
// Apideck documents it. These types are the simulator's own, not the
// client's: a simulator that decoded into the client's structs would agree
// with any field name the client got wrong.

// sessionRequest is a POST /vault/sessions body that passed validation.
type sessionRequest struct {
	ConsumerMetadata       *ConsumerMetadata `json:"consumer_metadata"`
	RedirectURI            string            `json:"redirect_uri"`
	Settings               *Settings         `json:"settings"`
	Theme                  *Theme            `json:"theme"`
	CustomConsumerSettings map[string]any    `json:"custom_consumer_settings"`
}

// ConsumerMetadata is the session's consumer_metadata.
type ConsumerMetadata struct {
	AccountName string `json:"account_name,omitempty"`
	UserName    string `json:"user_name,omitempty"`
	Email       string `json:"email,omitempty"`
	Image       string `json:"image,omitempty"`
}

// Settings is the session's settings object. A nil boolean was not sent.
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
	// AllowActions is nil when omitted (every action) and empty for [] (none).
	AllowActions  []string `json:"allow_actions,omitzero"`
	SessionLength string   `json:"session_length,omitempty"`
}

// Theme is the session's theme object.
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

const (
	// unifiedAPIList is what settings.unified_apis may hold, in Apideck's
	// order; an omitted or empty list means all of them.
	unifiedAPIList = "accounting ats calendar crm csp customer-support ecommerce email email-marketing " +
		"expense-management file-storage form hris lead payroll pos procurement project-management " +
		"script sms spreadsheet subscription-analytics team-messaging issue-tracking time-registration " +
		"transactional-email vault data-warehouse"
	// allowActionList is what settings.allow_actions may hold.
	allowActionList = "delete disconnect reauthorize disable"
)

func unifiedAPIs() []string  { return strings.Fields(unifiedAPIList) }
func allowActions() []string { return strings.Fields(allowActionList) }
