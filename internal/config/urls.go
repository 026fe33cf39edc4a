package config

import (
	"errors"
	"net/url"
	"strings"
)

// Messages about URLs never repeat the URL: one may carry a credential in
// its query or userinfo, and the operator knows what they set.

// absoluteURL checks that raw is an absolute http(s) URL with a host and
// without userinfo or fragment, and returns it trimmed. allowQuery is false
// for URLs that vaultgate appends paths to.
func absoluteURL(raw string, allowQuery bool) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			return nil, errors.New("not a valid URL: " + ue.Err.Error())
		}
		return nil, errors.New("not a valid URL")
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, errors.New("must be an absolute http:// or https:// URL")
	case u.Opaque != "" || u.Host == "" || u.Hostname() == "":
		return nil, errors.New("must be an absolute URL with a host")
	case u.User != nil:
		// Credentials in a URL end up in logs and process listings.
		return nil, errors.New("must not contain userinfo (user:password@)")
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return nil, errors.New("must not contain a fragment (#…)")
	case !allowQuery && (u.RawQuery != "" || u.ForceQuery):
		return nil, errors.New("must not contain a query (?…)")
	}
	return u, nil
}

// urlVar validates an optional URL variable; empty yields "".
func (p *problems) urlVar(name, raw string, allowQuery bool) string {
	v := strings.TrimSpace(raw)
	if v == "" {
		return ""
	}
	if _, err := absoluteURL(v, allowQuery); err != nil {
		p.wrap(name, err)
		return ""
	}
	return v
}

// isColor reports whether v is a #rgb or #rrggbb colour, the forms Vault's
// theme takes.
func isColor(v string) bool {
	if len(v) != 4 && len(v) != 7 || v[0] != '#' {
		return false
	}
	for _, c := range v[1:] {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}
