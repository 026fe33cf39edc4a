package handler

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// errRedirectRefused is wrapped by every error Check returns. The message
// names the rule that failed, never the URL, which may carry tokens.
var errRedirectRefused = errors.New("redirect_uri refused")

// maxDecodeDepth is how many layers of percent-encoding are looked through
// for forbidden characters: some servers decode twice, so %250a is %0a.
const maxDecodeDepth = 3

// Allowlist is an immutable set of allowed redirect URIs
// (VAULT_ALLOWED_REDIRECT_URIS), safe for concurrent use. Vault sends the
// user to the redirect_uri afterwards, so a mistake here is an open
// redirect: the list refuses whatever it cannot prove safe.
type Allowlist struct {
	entries []*url.URL // normalised by parseRedirect
}

// NewAllowlist validates entries against every rule Check applies and
// returns every problem at once, each naming the entry by index (from 0)
// and never echoing the entry itself. An empty list allows nothing.
func NewAllowlist(entries []string) (*Allowlist, error) {
	a := &Allowlist{}
	var errs []error
	for i, raw := range entries {
		u, err := parseRedirect(raw)
		if err != nil {
			why := strings.TrimPrefix(err.Error(), errRedirectRefused.Error()+": ")
			errs = append(errs, fmt.Errorf("redirect allow-list entry %d: %s", i, why))
		}
		a.entries = append(a.entries, u)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return a, nil
}

// Check returns the normalised URL to forward when raw passes every rule
// of parseRedirect and equals an entry, or lies under an entry whose path
// ends in "/" and that has no query: same scheme, host and port, path
// below the entry's path. Scheme and host compare case-insensitively and
// default ports are normalised; an exact entry's query must match too.
func (a *Allowlist) Check(raw string) (string, error) {
	u, err := parseRedirect(raw)
	if err != nil {
		return "", err
	}
	normalised := u.String()
	for _, e := range a.entries {
		prefix := strings.HasSuffix(e.Path, "/") && e.RawQuery == "" && !e.ForceQuery
		if normalised == e.String() ||
			prefix && u.Scheme == e.Scheme && u.Host == e.Host && strings.HasPrefix(u.Path, e.Path) {
			return normalised, nil
		}
	}
	return "", refused("not in the allow-list")
}

// Len reports how many URIs the list holds.
func (a *Allowlist) Len() int {
	if a == nil {
		return 0
	}
	return len(a.entries)
}

// parseRedirect applies every rule that does not depend on the allow-list,
// each refusal naming its rule, and returns the URL normalised: lower-case
// scheme and host, default port dropped, empty path as "/".
func parseRedirect(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, refused("empty")
	}
	if strings.ContainsFunc(raw, func(r rune) bool { return r >= 0x80 }) {
		// Unicode look-alikes and separators (U+3002, U+2028, …) are read
		// differently by different parsers; real URLs can be percent-encoded
		// and hosts punycoded.
		return nil, refused("non-ASCII character")
	}
	if strings.Contains(raw, "#") {
		return nil, refused("fragment")
	}
	if err := eachLayer(raw, checkBytes); err != nil {
		return nil, err
	}
	// RFC 3986 has no place for these unencoded; parsers disagree on them,
	// and "<>\"`" are the stuff of markup injection.
	if strings.ContainsAny(raw, "\"<>^`{|}") {
		return nil, refused("character not allowed in a URL")
	}
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		// Also catches "https:evil", "//evil" and "/\evil": only a full
		// scheme://authority form is absolute enough.
		return nil, refused("not an absolute URL")
	}
	if s := strings.ToLower(scheme); s != "http" && s != "https" {
		return nil, refused("scheme is not http or https")
	}
	authority, _, _ := strings.Cut(rest, "/")
	authority, _, _ = strings.Cut(authority, "?")
	// Checked on the raw text, not on what url.Parse made of it: an "@"
	// anywhere means userinfo, and a "%" an encoded host that other parsers
	// may decode differently.
	if strings.Contains(authority, "@") {
		return nil, refused("userinfo")
	}
	if strings.Contains(authority, "%") {
		return nil, refused("percent-encoded host")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, refused("unparsable")
	}
	if u.Hostname() == "" {
		return nil, refused("no host")
	}
	if err := eachLayer(u.EscapedPath(), checkPath); err != nil {
		return nil, err
	}
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return nil, refused("invalid port")
		}
		port = ":" + strconv.Itoa(n) // "0443" is 443
		if u.Scheme == "https" && n == 443 || u.Scheme == "http" && n == 80 {
			port = ""
		}
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]" // IPv6 literal
	}
	u.Host = host + port
	if u.Path == "" {
		u.Path = "/"
	}
	return u, nil
}

// eachLayer applies check to s and to maxDecodeDepth percent-decoded
// layers of it.
func eachLayer(s string, check func(string) error) error {
	for depth := 0; depth <= maxDecodeDepth; depth, s = depth+1, decodeLayer(s) {
		if err := check(s); err != nil {
			return err
		}
	}
	return nil
}

// checkBytes refuses control characters, DEL, space and backslash.
func checkBytes(s string) error {
	if strings.ContainsFunc(s, func(c rune) bool { return c <= 0x20 || c == 0x7f }) {
		return refused("control or whitespace character")
	}
	if strings.Contains(s, "\\") {
		return refused("backslash")
	}
	return nil
}

// checkPath refuses dot segments (also with ;parameters, as Java servers
// read "..;"), empty segments and encoded slashes. After these checks, in
// every layer, a decoded path maps one-to-one onto its raw segments, so
// comparing decoded prefixes is sound.
func checkPath(p string) error {
	if lower := strings.ToLower(p); strings.Contains(lower, "%2f") || strings.Contains(lower, "%5c") {
		return refused("encoded slash in path")
	}
	if strings.Contains(p, "//") {
		return refused("empty path segment")
	}
	for seg := range strings.SplitSeq(p, "/") {
		if name, _, _ := strings.Cut(seg, ";"); name == "." || name == ".." {
			return refused("dot segment in path")
		}
	}
	return nil
}

// decodeLayer replaces each valid %XX escape in s by its byte and leaves
// everything else, malformed escapes included, as it is (url.PathUnescape
// would refuse the whole string instead).
func decodeLayer(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			if c, err := strconv.ParseUint(s[i+1:i+3], 16, 8); err == nil {
				b.WriteByte(byte(c))
				i += 2
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func refused(why string) error {
	return fmt.Errorf("%w: %s", errRedirectRefused, why)
}
