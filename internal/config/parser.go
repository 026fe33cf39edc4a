package config

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// parser reads one environment and collects every problem, so that an
// operator sees all of them at once instead of one per start. Its methods
// take a variable's name, treat a blank value as unset, and on a bad value
// record a problem and return the default. Each name is written once,
// where it is read; the names read are the variables vaultgate knows.
type parser struct {
	env  map[string]string
	read []string
	errs []error
}

// newParser reads environ in os.Environ's "NAME=value" form; the first of a
// repeated name wins, as in os.Getenv.
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

// varError is one problem with one variable. Its message never holds a
// secret value.
type varError struct {
	Var string
	Err error
}

func (e *varError) Error() string { return e.Var + ": " + e.Err.Error() }

func (e *varError) Unwrap() error { return e.Err }

func (p *parser) add(name, format string, args ...any) {
	p.wrap(name, fmt.Errorf(format, args...))
}

// wrap records err, as returned by another package's validator, under name.
func (p *parser) wrap(name string, err error) {
	p.errs = append(p.errs, &varError{Var: name, Err: err})
}

// err joins the problems, one per line; nil when there are none.
func (p *parser) err() error { return errors.Join(p.errs...) }

// lookup returns name's raw value: for where unset and empty differ or
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
	v, _ := p.lookup(name)
	if v = strings.TrimSpace(v); v != "" {
		return v
	}
	return def
}

// oneOf reads a value from a fixed set, case-insensitively.
func (p *parser) oneOf(name, def string, allowed ...string) string {
	v := strings.ToLower(p.str(name, def))
	if slices.Contains(allowed, v) {
		return v
	}
	if len(allowed) == 2 {
		p.add(name, "%q is not %s or %s", v, allowed[0], allowed[1])
	} else {
		p.add(name, "%q is not one of %s", v, strings.Join(allowed, ", "))
	}
	return def
}

// duration reads a Go duration in [0, hi] (hi 0: no bound), or above 0
// when positive: none of vaultgate's durations means anything below zero.
func (p *parser) duration(name string, def, hi time.Duration, positive bool) time.Duration {
	v := p.str(name, "")
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	switch {
	case err != nil:
		p.add(name, "%q is not a duration (e.g. 10s, 1m30s)", v)
	case positive && d <= 0:
		p.add(name, "must be greater than 0, got %s", d)
	case d < 0:
		p.add(name, "must not be negative, got %s", d)
	case hi > 0 && d > hi:
		p.add(name, "must be at most %s, got %s", hi, d)
	default:
		return d
	}
	return def
}

// integer reads a decimal integer in [lo, hi] (hi 0: no bound).
func (p *parser) integer(name string, def, lo, hi int) int {
	v := p.str(name, "")
	if v == "" {
		return def
	}
	bounds := fmt.Sprintf("between %d and %d", lo, hi)
	if hi == 0 {
		hi, bounds = math.MaxInt, fmt.Sprintf("at least %d", lo)
	}
	n, err := strconv.Atoi(v)
	switch {
	case errors.Is(err, strconv.ErrRange):
		p.add(name, "must be %s, got %s", bounds, v)
	case err != nil:
		p.add(name, "%q is not an integer", v)
	case n < lo || n > hi:
		p.add(name, "must be %s, got %d", bounds, n)
	default:
		return n
	}
	return def
}

// boolean reads strconv.ParseBool's forms.
func (p *parser) boolean(name string, def *bool) *bool {
	v := p.str(name, "")
	if v == "" {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		p.add(name, "%q is not a boolean (true or false)", v)
		return def
	}
	return &b
}

// text reads a free-form value and refuses control characters, which have
// no place in a name shown on a page.
func (p *parser) text(name, def string) string {
	v := p.str(name, def)
	if strings.ContainsFunc(v, unicode.IsControl) {
		p.add(name, "must not contain control characters")
		return def
	}
	return v
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

// printable reports whether v is non-empty printable ASCII without spaces,
// which travels in an HTTP header unchanged.
func printable(v string) bool {
	return v != "" && !strings.ContainsFunc(v, func(r rune) bool { return r <= ' ' || r >= 0x7f })
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

// checkFamilies rejects the variables of a family that are not members
// (VAULT_THEME_COLOUR for VAULT_THEME_PRIMARY_COLOR), so a typo fails at
// start-up instead of being ignored. It runs last, once all were read.
func (p *parser) checkFamilies() {
	for _, family := range []string{"VAULT_SETTINGS_", "VAULT_THEME_"} {
		in := func(name string) bool { return strings.HasPrefix(name, family) }
		var unknown []string
		for name := range p.env {
			if in(name) && !slices.Contains(p.read, name) {
				unknown = append(unknown, name)
			}
		}
		slices.Sort(unknown)
		for _, name := range unknown {
			p.add(name, "unknown variable (known: %s)", strings.Join(slices.DeleteFunc(slices.Clone(p.read), func(n string) bool { return !in(n) }), ", "))
		}
	}
}

// absoluteURL checks that raw is an absolute http(s) URL with a host and
// without userinfo or fragment; allowQuery is false for URLs that vaultgate
// appends paths to. Its messages never repeat the URL, which may carry a
// credential.
func absoluteURL(raw string, allowQuery bool) (*url.URL, error) {
	u, err := url.Parse(raw)
	var ue *url.Error
	switch {
	case errors.As(err, &ue):
		return nil, errors.New("not a valid URL: " + ue.Err.Error())
	case err != nil:
		return nil, errors.New("not a valid URL")
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

// url reads an absolute http(s) URL.
func (p *parser) url(name, def string, allowQuery bool) string {
	v := p.str(name, "")
	if v == "" {
		return def
	}
	if _, err := absoluteURL(v, allowQuery); err != nil {
		p.wrap(name, err)
		return def
	}
	return v
}
