package handler

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
)

var (
	errPrefetch  = errors.New("request marked as a prefetch")
	errCrossSite = errors.New("cross-site request with an ambient credential")
)

// checkPrefetch refuses speculative loads (link previews, prerendering):
// they must not mint sessions nobody asked for.
func checkPrefetch(r *http.Request) error {
	for _, name := range []string{"Sec-Purpose", "Purpose"} {
		for _, v := range r.Header.Values(name) {
			if strings.Contains(strings.ToLower(v), "prefetch") {
				return invalid(codePrefetchRefused, "Prefetch and prerender requests cannot create sessions.", errPrefetch)
			}
		}
	}
	return nil
}

// crossSiteGuard refuses cross-site requests that carry a credential the
// browser attached by itself, which another site could otherwise use to
// mint sessions in the user's name (SPEC §4b). It follows the rule of Go's
// http.CrossOriginProtection, except that only Sec-Fetch-Site "cross-site"
// is refused and origins allowed for CORS pass.
type crossSiteGuard struct {
	allowed map[string]struct{} // CORS_ALLOWED_ORIGINS
}

func (g crossSiteGuard) check(r *http.Request) error {
	origin := r.Header.Get("Origin")
	if _, ok := g.allowed[origin]; ok && origin != "" {
		return nil
	}
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" {
		if strings.EqualFold(strings.TrimSpace(site), "cross-site") {
			return refuseCrossSite()
		}
		return nil
	}
	if origin == "" {
		return nil
	}
	// "null" (sandboxed frames, opaque origins) parses without a host and
	// so counts as differing.
	if u, err := url.Parse(origin); err == nil && u.Host == r.Host {
		return nil
	}
	return refuseCrossSite()
}

func refuseCrossSite() error {
	return &requestError{code: codeCrossSite, status: http.StatusForbidden,
		detail: "Cross-site requests cannot create sessions with browser credentials.", err: errCrossSite}
}
