package auth

import (
	"time"

	"github.com/vaultgate/vaultgate/internal/secret"
)

// JWTConfig configures JWT verification. Exactly one of JWKSURL, OIDCIssuer
// and HS256Secret is set.
type JWTConfig struct {
	JWKSURL     string
	OIDCIssuer  string // discovery document at OIDCIssuer + "/.well-known/openid-configuration"
	HS256Secret secret.String
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
