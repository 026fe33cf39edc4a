package upstream

import (
	"errors"
	"net/url"
	"strings"
)

// origin is a normalised scheme://host:port, so "HTTPS://Vault.Apideck.com"
// and "https://vault.apideck.com:443" compare equal.
type origin struct {
	scheme, host, port string
}

// parseOrigin reads VAULT_ORIGIN: an absolute http(s) URL with nothing after
// the authority but an optional "/".
func parseOrigin(s string) (origin, error) {
	u, err := url.Parse(s)
	if err != nil || (!strings.EqualFold(u.Scheme, "http") && !strings.EqualFold(u.Scheme, "https")) || u.Host == "" {
		return origin{}, errors.New("vault origin must be an absolute http(s) URL")
	}
	if u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return origin{}, errors.New("vault origin must be scheme://host[:port] only")
	}
	return originOf(u), nil
}

// originOf normalises the origin of an absolute URL.
func originOf(u *url.URL) origin {
	o := origin{
		scheme: strings.ToLower(u.Scheme),
		host:   strings.ToLower(u.Hostname()),
		port:   u.Port(),
	}
	if o.port == "" {
		switch o.scheme {
		case "https":
			o.port = "443"
		case "http":
			o.port = "80"
		}
	}
	return o
}
