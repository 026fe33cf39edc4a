package handler

import (
	"net/http"
	"strconv"
	"strings"
)

// acceptHeader joins every Accept header of r, as RFC 9110 allows a list to
// be split across several.
func acceptHeader(r *http.Request) string {
	return strings.Join(r.Header.Values("Accept"), ",")
}

// mediaRange is one element of an Accept header.
type mediaRange struct {
	typ string  // lower-cased "type/subtype"
	q   float64 // quality, 0..1
}

// parseAccept splits an Accept header into media ranges. Elements with a
// malformed q-value are dropped rather than guessed at.
func parseAccept(accept string) []mediaRange {
	var out []mediaRange
	for elem := range strings.SplitSeq(accept, ",") {
		typ, params, _ := strings.Cut(elem, ";")
		typ = strings.ToLower(strings.TrimSpace(typ))
		if typ == "" {
			continue
		}
		q, ok := quality(params)
		if !ok {
			continue
		}
		out = append(out, mediaRange{typ: typ, q: q})
	}
	return out
}

// quality finds the q parameter among params ("a=b;q=0.5"); 1 when absent.
func quality(params string) (float64, bool) {
	for p := range strings.SplitSeq(params, ";") {
		name, value, _ := strings.Cut(p, "=")
		if !strings.EqualFold(strings.TrimSpace(name), "q") {
			continue
		}
		q, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err != nil || q < 0 || q > 1 {
			return 0, false
		}
		return q, true
	}
	return 1, true
}

// namedQuality returns the highest q given to exactly typ, and whether typ
// is named at all.
func namedQuality(ranges []mediaRange, typ string) (float64, bool) {
	q, found := 0.0, false
	for _, mr := range ranges {
		if mr.typ == typ {
			q, found = max(q, mr.q), true
		}
	}
	return q, found
}

// prefersJSON implements the rule of SPEC §2: JSON wins only when
// application/json is named explicitly with q > 0 and at least the q of
// text/html, where that comes from text/html if named, else text/*, else
// */*, else 0. A browser navigation ("text/html,…,*/*;q=0.8") and a
// missing Accept therefore get the redirect; axios's
// "application/json, text/plain, */*" gets JSON.
func prefersJSON(accept string) bool {
	ranges := parseAccept(accept)
	qJSON, named := namedQuality(ranges, "application/json")
	if !named || qJSON <= 0 {
		return false
	}
	qHTML := 0.0
	for _, typ := range []string{"text/html", "text/*", "*/*"} {
		if q, ok := namedQuality(ranges, typ); ok {
			qHTML = q
			break
		}
	}
	return qJSON >= qHTML
}

// namesHTML reports whether text/html itself is named with q > 0.
func namesHTML(accept string) bool {
	q, named := namedQuality(parseAccept(accept), "text/html")
	return named && q > 0
}
