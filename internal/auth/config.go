package auth

import (
	"net/netip"
	"time"
)

// JWTConfig configures JWT verification. Exactly one of JWKSURL, OIDCIssuer
// and HS256Secret is set.
type JWTConfig struct {
	JWKSURL     string
	OIDCIssuer  string // discovery document at OIDCIssuer + "/.well-known/openid-configuration"
	HS256Secret string
	Issuer      string
	Audience    string
	Algorithms  []string // allow-list, already validated (never "none"; no HMAC with JWKS/OIDC)
	ClockSkew   time.Duration
	CookieName  string // also read the token from this cookie when there is no Authorization header
	// RefreshInterval is how often the JWKS is refetched in the background (default 5m).
	RefreshInterval time.Duration
	// UnknownKIDInterval is the minimum time between refetches triggered by an
	// unknown kid (default 30s).
	UnknownKIDInterval time.Duration
}

// ForwardConfig configures forward auth: the app's own "who am I" endpoint
// decides, given the request's Cookie and Authorization headers.
type ForwardConfig struct {
	URL      string        // AUTH_FORWARD_URL
	Timeout  time.Duration // AUTH_FORWARD_TIMEOUT, default 3s
	CacheTTL time.Duration // AUTH_FORWARD_CACHE_TTL, default 0 (no cache)
}

// HeaderConfig configures identity from a trusted proxy's headers.
type HeaderConfig struct {
	UserHeader     string         // AUTH_HEADER_USER, default X-Forwarded-User
	EmailHeader    string         // AUTH_HEADER_EMAIL, default X-Forwarded-Email
	GroupsHeader   string         // AUTH_HEADER_GROUPS, default X-Forwarded-Groups
	TrustedProxies []netip.Prefix // AUTH_TRUSTED_PROXIES, required in header mode
}
