package upstream

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// ParseOrigin returns s as browsers write an origin in the Origin header:
// lower-case "scheme://host[:port]" with the scheme's default port left
// out. s must be an absolute http(s) URL with nothing after the authority
// but an optional "/". The errors never quote s (a URL may carry a
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

// originOf is the normalised origin of an absolute URL, as ParseOrigin
// returns it, so "HTTPS://Vault.Apideck.com:443/x" is on
// "https://vault.apideck.com".
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
