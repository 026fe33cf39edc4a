// Package redirect holds the allow-list that a request's redirect_uri is
// checked against before it is forwarded to Vault. A forwarded URL is where
// Vault sends the user afterwards, so anything this package lets through is
// an open redirect if it is wrong: it refuses whatever it cannot prove safe.
package redirect

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// ErrRefused is wrapped by every error Check returns. The wrapping message
// names the rule that failed, never the URL, which may carry tokens.
var ErrRefused = errors.New("redirect_uri refused")

// Allowlist is an immutable set of allowed redirect URIs, safe for
// concurrent use.
type Allowlist struct {
	entries []entry
}

// entry is one parsed allow-list URI.
type entry struct {
	scheme, host, port string // normalised: lower case, default port empty
	// prefix entries (path ending in "/", no query) allow every URL whose
	// path lies below path; others allow only the normalised URL exact.
	prefix bool
	path   string // decoded path, for prefix entries
	exact  string // normalised URL, for exact entries
}

// New validates entries (each absolute http/https, host present, no
// userinfo, no fragment, no control, backslash or whitespace characters; in
// fact every rule Check applies) and returns every problem at once, each
// naming the entry by index (from 0) and never echoing the entry itself. An
// empty list allows nothing.
func New(entries []string) (*Allowlist, error) {
	a := &Allowlist{entries: make([]entry, 0, len(entries))}
	var errs []error
	for i, raw := range entries {
		e, err := parseEntry(raw)
		if err != nil {
			// Strip the sentinel's text: these are configuration errors.
			errs = append(errs, fmt.Errorf("redirect allow-list entry %d: %s", i, reason(err)))
			continue
		}
		a.entries = append(a.entries, e)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return a, nil
}

func parseEntry(raw string) (entry, error) {
	u, err := parse(raw)
	if err != nil {
		return entry{}, err
	}
	e := entry{scheme: u.Scheme, host: u.Hostname(), port: u.Port()}
	if strings.HasSuffix(u.Path, "/") && u.RawQuery == "" && !u.ForceQuery {
		e.prefix = true
		e.path = u.Path
	} else {
		e.exact = u.String()
	}
	return e, nil
}

// Check returns the URL to forward when raw equals an entry or lies under an
// entry ending in "/": same scheme, host and port (scheme and host compared
// case-insensitively, default ports normalised), path below the entry's path
// at a segment boundary. Exact entries match only the identical normalised
// URL, query included. The returned string is that normalised URL.
//
// Before matching, Check refuses relative and scheme-relative URLs, schemes
// other than http(s), userinfo (even an empty "@"), fragments (even an empty
// "#"), non-ASCII, control characters, backslashes and whitespace (raw or
// percent-encoded, at any depth of encoding), the characters RFC 3986 never
// allows unencoded ("<>^`{|} and the double quote), a percent-encoded
// authority, "." and ".." path segments (however encoded), encoded slashes
// and empty segments in the path, and anything url.Parse rejects. Errors
// wrap ErrRefused.
func (a *Allowlist) Check(raw string) (string, error) {
	u, err := parse(raw)
	if err != nil {
		return "", err
	}
	normalised := u.String()
	for _, e := range a.entries {
		if e.matches(u, normalised) {
			return normalised, nil
		}
	}
	return "", fmt.Errorf("%w: not in the allow-list", ErrRefused)
}

func (e entry) matches(u *url.URL, normalised string) bool {
	if !e.prefix {
		return normalised == e.exact
	}
	return u.Scheme == e.scheme && u.Hostname() == e.host && u.Port() == e.port &&
		strings.HasPrefix(u.Path, e.path)
}

// Len reports how many URIs the list holds.
func (a *Allowlist) Len() int {
	if a == nil {
		return 0
	}
	return len(a.entries)
}

// reason is err's message without the ErrRefused prefix.
func reason(err error) string {
	return strings.TrimPrefix(err.Error(), ErrRefused.Error()+": ")
}
