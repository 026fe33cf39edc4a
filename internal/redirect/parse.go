package redirect

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// maxDecodeDepth is how many layers of percent-encoding are looked through
// when searching for forbidden characters. Some servers and frameworks decode
// twice, so %250a must be treated like %0a.
const maxDecodeDepth = 3

// parse applies every rule that does not depend on the allow-list and
// returns the URL normalised: lower-case scheme and host, default port
// dropped, empty path as "/".
func parse(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, refused("empty")
	}
	for i := 0; i < len(raw); i++ {
		if raw[i] >= 0x80 {
			// Unicode look-alikes and separators (U+3002, U+2028, …) are
			// read differently by different parsers; real URLs can be
			// percent-encoded and hosts punycoded.
			return nil, refused("non-ASCII character")
		}
	}
	if strings.Contains(raw, "#") {
		return nil, refused("fragment")
	}
	if err := checkBytes(raw); err != nil {
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
	authority := rest
	if i := strings.IndexAny(rest, "/?"); i >= 0 {
		authority = rest[:i]
	}
	// The authority is checked on the raw text, not on what url.Parse made
	// of it: an "@" anywhere means userinfo, and a "%" means an encoded host
	// that other parsers may decode differently.
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
	if u.Opaque != "" || u.User != nil || u.Host == "" || u.Hostname() == "" {
		return nil, refused("no host")
	}
	if err := checkPath(u.EscapedPath()); err != nil {
		return nil, err
	}
	if err := normalise(u); err != nil {
		return nil, err
	}
	return u, nil
}

// checkBytes refuses control characters, DEL, space and backslash in s and
// in every percent-decoded layer of it.
func checkBytes(s string) error {
	for depth := 0; ; depth++ {
		for i := 0; i < len(s); i++ {
			c := s[i]
			if c <= 0x20 || c == 0x7f {
				return refused("control or whitespace character")
			}
			if c == '\\' {
				return refused("backslash")
			}
		}
		next := decodeLayer(s)
		if next == s || depth == maxDecodeDepth {
			return nil
		}
		s = next
	}
}

// checkPath refuses dot segments (also with ;parameters, as Java servers
// read "..;"), empty segments and encoded slashes, in every decoded layer.
// After these checks a decoded path maps one-to-one onto its raw segments,
// so comparing decoded prefixes is sound.
func checkPath(p string) error {
	for depth := 0; ; depth++ {
		lower := strings.ToLower(p)
		if strings.Contains(lower, "%2f") || strings.Contains(lower, "%5c") {
			return refused("encoded slash in path")
		}
		if strings.Contains(p, "//") {
			return refused("empty path segment")
		}
		for seg := range strings.SplitSeq(p, "/") {
			name, _, _ := strings.Cut(seg, ";")
			if name == "." || name == ".." {
				return refused("dot segment in path")
			}
		}
		next := decodeLayer(p)
		if next == p || depth == maxDecodeDepth {
			return nil
		}
		p = next
	}
}

// normalise lower-cases the host, drops a default or empty port, rejects an
// out-of-range one, and writes an empty path as "/".
func normalise(u *url.URL) error {
	host := strings.ToLower(u.Hostname())
	port := u.Port()
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return refused("invalid port")
		}
		port = strconv.Itoa(n) // "0443" is 443
		if (u.Scheme == "https" && n == 443) || (u.Scheme == "http" && n == 80) {
			port = ""
		}
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]" // IPv6 literal
	}
	if port != "" {
		host += ":" + port
	}
	u.Host = host
	if u.Path == "" && u.RawPath == "" {
		u.Path = "/"
	}
	return nil
}

// decodeLayer replaces each valid %XX escape in s by its byte and leaves
// everything else (including malformed escapes) as it is.
func decodeLayer(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

func refused(why string) error {
	return fmt.Errorf("%w: %s", ErrRefused, why)
}
