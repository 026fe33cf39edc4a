package config

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// varError is one configuration problem, tied to the variable it is about.
// Its message must never contain a secret value: callers format only
// values that are safe to print.
type varError struct {
	Var string
	Err error
}

func (e *varError) Error() string { return e.Var + ": " + e.Err.Error() }

func (e *varError) Unwrap() error { return e.Err }

// problems collects every configuration problem so that an operator sees
// all of them at once instead of fixing them one start at a time.
type problems struct {
	errs []error
}

// add records a problem with variable name.
func (p *problems) add(name, format string, args ...any) {
	p.errs = append(p.errs, &varError{Var: name, Err: fmt.Errorf(format, args...)})
}

// wrap records err, as returned by another package's validator, under name.
func (p *problems) wrap(name string, err error) {
	p.errs = append(p.errs, &varError{Var: name, Err: err})
}

// err joins the problems, one per line; nil when there are none.
func (p *problems) err() error { return errors.Join(p.errs...) }

// str trims surrounding whitespace (a stray space in an env file should not
// change meaning) and falls back to def when nothing is left.
func str(raw, def string) string {
	if v := strings.TrimSpace(raw); v != "" {
		return v
	}
	return def
}

// duration parses a Go duration that is at least 0 and, when hi > 0, at
// most hi. Negative durations are refused everywhere: none of vaultgate's
// durations has a meaning below zero.
func (p *problems) duration(name, raw string, def, hi time.Duration) time.Duration {
	d, ok := p.parseDuration(name, raw)
	switch {
	case !ok:
		return def
	case d < 0:
		p.add(name, "must not be negative, got %s", d)
	case hi > 0 && d > hi:
		p.add(name, "must be at most %s, got %s", hi, d)
	default:
		return d
	}
	return def
}

// positiveDuration parses a Go duration greater than 0.
func (p *problems) positiveDuration(name, raw string, def time.Duration) time.Duration {
	d, ok := p.parseDuration(name, raw)
	switch {
	case !ok:
		return def
	case d <= 0:
		p.add(name, "must be greater than 0, got %s", d)
	default:
		return d
	}
	return def
}

// parseDuration reports ok false both when the value is empty (the default
// applies) and when it is malformed (a problem is recorded).
func (p *problems) parseDuration(name, raw string) (time.Duration, bool) {
	v := strings.TrimSpace(raw)
	if v == "" {
		return 0, false
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		p.add(name, "%q is not a duration (e.g. 10s, 1m30s)", v)
		return 0, false
	}
	return d, true
}

// integer parses a decimal integer within [lo, hi]; hi math.MaxInt means
// no upper bound.
func (p *problems) integer(name, raw string, def, lo, hi int) int {
	v := strings.TrimSpace(raw)
	if v == "" {
		return def
	}
	bounds := fmt.Sprintf("between %d and %d", lo, hi)
	if hi == math.MaxInt {
		bounds = fmt.Sprintf("at least %d", lo)
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

// boolean parses strconv.ParseBool's forms; unset or empty is nil.
func (p *problems) boolean(name, raw string) *bool {
	v := strings.TrimSpace(raw)
	if v == "" {
		return nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		p.add(name, "%q is not a boolean (true or false)", v)
		return nil
	}
	return &b
}

// text trims a free-form value and refuses control characters, which have
// no place in a name shown on a page.
func (p *problems) text(name, raw string) string {
	v := strings.TrimSpace(raw)
	if strings.ContainsFunc(v, unicode.IsControl) {
		p.add(name, "must not contain control characters")
		return ""
	}
	return v
}

// flag is boolean with false for unset.
func (p *problems) flag(name, raw string) bool {
	b := p.boolean(name, raw)
	return b != nil && *b
}

// list splits a comma list, trimming items, dropping empty ones and
// duplicates (first occurrence wins). It returns nil for an empty list.
func list(raw string) []string {
	var out []string
	seen := map[string]bool{}
	for item := range strings.SplitSeq(raw, ",") {
		item = strings.TrimSpace(item)
		if item == "" || seen[item] {
			continue
		}
		seen[item] = true
		out = append(out, item)
	}
	return out
}

// quoteList formats values as "a", "b" for messages.
func quoteList(values []string) string {
	q := make([]string, len(values))
	for i, v := range values {
		q[i] = strconv.Quote(v)
	}
	return strings.Join(q, ", ")
}
