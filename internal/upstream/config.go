package upstream

import (
	"net/http"
	"time"
)

// Config is what the client needs. internal/config fills it from the
// environment and has validated every value; New takes them as they are.
type Config struct {
	BaseURL         string        // e.g. https://unify.apideck.com
	APIKey          string        // sent only as "Authorization: Bearer"; never log it
	AppID           string        // x-apideck-app-id
	Timeout         time.Duration // deadline for one CreateSession, retries included
	MaxRetries      int           // retries after the first attempt
	MaxConcurrency  int           // upstream calls in flight at once
	BreakerFailures int           // consecutive failures that open the circuit; fits a uint32
	BreakerCooldown time.Duration // open time before one probe is let through
	VaultOrigin     string        // as ParseOrigin returns it; the only origin a session_uri may have

	// WrapTransport, when set, wraps the client's own transport once in New
	// (tracing adds client spans and trace headers this way). Nil keeps the
	// plain transport. Not read from the environment.
	WrapTransport func(http.RoundTripper) http.RoundTripper
}
