package upstream

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// Config is what the client needs; internal/config fills it from the environment.
type Config struct {
	BaseURL         string        // e.g. https://unify.apideck.com, no trailing slash
	APIKey          string        // sent only as "Authorization: Bearer"
	AppID           string        // x-apideck-app-id
	Timeout         time.Duration // deadline for one CreateSession, retries included
	MaxRetries      int           // retries after the first attempt
	MaxConcurrency  int           // upstream calls in flight at once
	BreakerFailures int           // consecutive failures that open the circuit
	BreakerCooldown time.Duration // open time before one probe is let through
	VaultOrigin     string        // scheme://host[:port]; the only origin a session_uri may have

	// WrapTransport, when set, wraps the client's own transport once in New
	// (tracing adds client spans and trace headers this way). Nil keeps the
	// plain transport. Not read from the environment.
	WrapTransport func(http.RoundTripper) http.RoundTripper
}

// Bounds New enforces beyond "positive": a breaker threshold must fit
// gobreaker's uint32 counters.
const maxBreakerFailures = 1 << 20

// validate reports every problem with c at once. internal/config checks the
// environment first; this guards callers that build a Config by hand.
func (c Config) validate() error {
	var errs []error
	if _, err := parseBaseURL(c.BaseURL); err != nil {
		errs = append(errs, err)
	}
	if c.APIKey == "" {
		errs = append(errs, errors.New("API key is empty"))
	}
	if c.AppID == "" {
		errs = append(errs, errors.New("app id is empty"))
	}
	if c.Timeout <= 0 {
		errs = append(errs, errors.New("timeout must be positive"))
	}
	if c.MaxRetries < 0 {
		errs = append(errs, errors.New("max retries must not be negative"))
	}
	if c.MaxConcurrency < 1 {
		errs = append(errs, errors.New("max concurrency must be at least 1"))
	}
	if c.BreakerFailures < 1 || c.BreakerFailures > maxBreakerFailures {
		errs = append(errs, fmt.Errorf("breaker failures must be between 1 and %d", maxBreakerFailures))
	}
	if c.BreakerCooldown <= 0 {
		errs = append(errs, errors.New("breaker cooldown must be positive"))
	}
	if _, err := parseOrigin(c.VaultOrigin); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// parseBaseURL checks that s is an absolute http(s) URL without userinfo,
// query or fragment; a path prefix (a gateway in front of Apideck) is kept.
func parseBaseURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("base URL must be an absolute http(s) URL")
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, errors.New("base URL must not carry userinfo, query or fragment")
	}
	return u, nil
}
