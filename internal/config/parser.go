package config

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// parser reads one environment and collects every problem, so that an
// operator sees all of them from one failed start. Its methods take a
// variable's name and treat a blank value as unset. What they return for a
// bad value matters not: Load then returns no configuration.
type parser struct {
	env      map[string]string
	read     []string // the names asked for, which the tests hold to variables
	errs     []error
	warnings []string // variables naming a plain-http URL to a host beyond loopback
}

// newParser reads environ in os.Environ's form; the first of a repeated
// name wins, as in os.Getenv.
func newParser(environ []string) *parser {
	p := &parser{env: make(map[string]string, len(environ))}
	for _, e := range environ {
		name, value, _ := strings.Cut(e, "=")
		if _, dup := p.env[name]; !dup {
			p.env[name] = value
		}
	}
	return p
}

// add records a problem with a variable, which never shows a secret.
func (p *parser) add(name, format string, args ...any) {
	p.errs = append(p.errs, errors.New(name+": "+fmt.Sprintf(format, args...)))
}

// err joins the problems, one per line; nil when there are none.
func (p *parser) err() error { return errors.Join(p.errs...) }

// lookup returns name's raw value, for where unset and empty differ or
// spaces matter.
func (p *parser) lookup(name string) (string, bool) {
	if !slices.Contains(p.read, name) {
		p.read = append(p.read, name)
	}
	v, ok := p.env[name]
	return v, ok
}

// str returns name's value trimmed (a stray space in an env file should not
// change meaning), or def when nothing is left.
func (p *parser) str(name, def string) string {
	if v, _ := p.lookup(name); strings.TrimSpace(v) != "" {
		return strings.TrimSpace(v)
	}
	return def
}

// oneOf reads a value from a fixed set, case-insensitively.
func (p *parser) oneOf(name, def string, allowed ...string) string {
	v := strings.ToLower(p.str(name, def))
	if !slices.Contains(allowed, v) {
		p.add(name, "%q is not one of %s", v, strings.Join(allowed, ", "))
	}
	return v
}

// duration reads a Go duration in [0, hi] (hi 0: no bound), or above 0
// when positive: none of vaultgate's durations means anything below zero.
func (p *parser) duration(name string, def, hi time.Duration, positive bool) time.Duration {
	v := p.str(name, "")
	d, err := time.ParseDuration(v)
	switch {
	case v == "":
		return def
	case err != nil:
		p.add(name, "%q is not a duration (e.g. 10s, 1m30s)", v)
	case positive && d <= 0:
		p.add(name, "must be greater than 0, got %s", d)
	case d < 0:
		p.add(name, "must not be negative, got %s", d)
	case hi > 0 && d > hi:
		p.add(name, "must be at most %s, got %s", hi, d)
	}
	return d
}

// integer reads a decimal integer in [lo, hi] (hi 0: no bound).
func (p *parser) integer(name string, def, lo, hi int) int {
	v := p.str(name, "")
	n, err := strconv.Atoi(v)
	bounds := fmt.Sprintf("between %d and %d", lo, hi)
	if hi == 0 {
		bounds = fmt.Sprintf("at least %d", lo)
	}
	switch {
	case v == "":
		return def
	case err != nil && !errors.Is(err, strconv.ErrRange):
		p.add(name, "%q is not an integer", v)
	case err != nil || n < lo || hi > 0 && n > hi:
		p.add(name, "must be %s, got %s", bounds, v)
	}
	return n
}

// boolean reads strconv.ParseBool's forms.
func (p *parser) boolean(name string, def *bool) *bool {
	v := p.str(name, "")
	b, err := strconv.ParseBool(v)
	switch {
	case v == "":
		return def
	case err != nil:
		p.add(name, "%q is not a boolean (true or false)", v)
	}
	return &b
}

// list reads a comma list without empty items and duplicates; nil when empty.
func (p *parser) list(name string) []string {
	v, _ := p.lookup(name)
	var out []string
	for item := range strings.SplitSeq(v, ",") {
		if item = strings.TrimSpace(item); item != "" && !slices.Contains(out, item) {
			out = append(out, item)
		}
	}
	return out
}

// notIn returns the values that are not in allowed, quoted for a message.
func notIn(values, allowed []string) string {
	var out []string
	for _, v := range values {
		if !slices.Contains(allowed, v) {
			out = append(out, strconv.Quote(v))
		}
	}
	return strings.Join(out, ", ")
}

// What a URL read by url may carry beyond scheme, host and path.
type urlRule int

const (
	urlPlain         urlRule = iota // vaultgate appends paths to it
	urlQuery                        // a query is kept and sent
	urlQueryFragment                // a page's address, sent as it is
)

// url reads an absolute http(s) URL with a host, without userinfo, and
// without query or fragment unless rule allows them. No message repeats
// the URL: it may carry a credential.
func (p *parser) url(name, def string, rule urlRule) string {
	v := p.str(name, "")
	u, err := url.Parse(v)
	var ue *url.Error
	switch {
	case v == "":
	case errors.As(err, &ue):
		p.add(name, "not a valid URL: %v", ue.Err) // url.Parse's errors are all *url.Error
	case u.Scheme != "http" && u.Scheme != "https":
		p.add(name, "must be an absolute http:// or https:// URL")
	case u.Opaque != "" || u.Hostname() == "":
		p.add(name, "must be an absolute URL with a host")
	case u.User != nil:
		// Credentials in a URL end up in logs and process listings.
		p.add(name, "must not contain userinfo (user:password@)")
	case rule < urlQueryFragment && (u.Fragment != "" || strings.Contains(v, "#")):
		p.add(name, "must not contain a fragment (#…)")
	case rule < urlQuery && (u.RawQuery != "" || u.ForceQuery):
		p.add(name, "must not contain a query (?…)")
	default:
		return v
	}
	return def
}

// transportURL reads a URL vaultgate sends requests to. Plain http to a
// host other than loopback is allowed with a warning: tests and the demo
// run on loopback, and an in-cluster app may speak plain http.
func (p *parser) transportURL(name string, rule urlRule) string {
	v := p.url(name, "", rule)
	if cleartext(v) {
		p.warnings = append(p.warnings, name)
	}
	return v
}

// cleartext reports whether rawURL is http:// to a host other than
// localhost or a loopback address.
func cleartext(rawURL string) bool {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme != "http" {
		return false
	}
	host := u.Hostname()
	ip, err := netip.ParseAddr(host)
	return !strings.EqualFold(host, "localhost") && (err != nil || !ip.Unmap().IsLoopback())
}

// prefixes reads a comma list of CIDR prefixes; a bare address stands for
// itself. A /0 trusts the whole internet, and host bits set (10.0.0.1/8)
// are more likely a typo than a wish: both are refused. IPv4-mapped IPv6
// entries become IPv4 ones, as peers are matched (Header, clientIP).
func (p *parser) prefixes(name string) []netip.Prefix {
	var out []netip.Prefix
	for i, item := range p.list(name) {
		pfx, err := netip.ParsePrefix(item)
		if !strings.Contains(item, "/") {
			var addr netip.Addr
			if addr, err = netip.ParseAddr(item); err == nil {
				pfx = netip.PrefixFrom(addr, addr.BitLen())
			}
		}
		if a := pfx.Addr(); err == nil && a.Is4In6() && pfx.Bits() >= 96 {
			pfx = netip.PrefixFrom(a.Unmap(), pfx.Bits()-96)
		}
		switch {
		case strings.Contains(item, "%"):
			p.add(name, "entry %d: %q: zoned addresses are not supported", i, item)
			continue
		case err != nil:
			p.add(name, "entry %d: %q is not an IP address or CIDR prefix", i, item)
			continue
		case pfx.Bits() == 0:
			p.add(name, "entry %d: %q would trust every address", i, item)
			continue
		case pfx.Masked() != pfx:
			p.add(name, "entry %d: %q has host bits set; did you mean %s?", i, item, pfx.Masked())
			continue
		}
		if !slices.Contains(out, pfx) {
			out = append(out, pfx)
		}
	}
	return out
}
