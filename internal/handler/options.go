package handler

import (
	"time"

	"github.com/vaultgate/vaultgate/internal/auth"
	"github.com/vaultgate/vaultgate/internal/redirect"
	"github.com/vaultgate/vaultgate/internal/upstream"
)

// ConnectConfig is the server-side half of every session request: what
// /connect may offer, and what it sends when the request narrows nothing.
type ConnectConfig struct {
	Mapping            auth.Mapping
	Redirects          *redirect.Allowlist // VAULT_ALLOWED_REDIRECT_URIS
	DefaultRedirectURI string              // VAULT_REDIRECT_URI; may be empty
	UnifiedAPIs        []string            // VAULT_UNIFIED_APIS; empty offers all
	Settings           upstream.Settings   // base settings (UnifiedAPIs left empty here)
	Theme              *upstream.Theme     // nil when no VAULT_THEME_* is set
	SessionLength      time.Duration       // parsed VAULT_SESSION_LENGTH; 1h when unset
	VaultOrigin        string              // scheme://host[:port], for service_id deep links
	LoginURL           string              // AUTH_LOGIN_URL; empty sends 401 to browsers too
	CORSOrigins        []string            // exact origins
	TrustedProxyHops   int                 // X-Forwarded-For entries to trust
}
