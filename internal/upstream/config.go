package upstream

import (
	"time"

	"github.com/vaultgate/vaultgate/internal/secret"
)

// Config is what the client needs; internal/config fills it from the environment.
type Config struct {
	BaseURL         string        // e.g. https://unify.apideck.com, no trailing slash
	APIKey          secret.String // sent only as "Authorization: Bearer"
	AppID           string        // x-apideck-app-id
	Timeout         time.Duration // deadline for one CreateSession, retries included
	MaxRetries      int           // retries after the first attempt
	MaxConcurrency  int           // upstream calls in flight at once
	BreakerFailures int           // consecutive failures that open the circuit
	BreakerCooldown time.Duration // open time before one probe is let through
	VaultOrigin     string        // scheme://host[:port]; the only origin a session_uri may have
}
