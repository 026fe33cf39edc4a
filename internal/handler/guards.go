package handler

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
)

// The refusals /connect makes before it creates a session: browser guards
// (see README, Security notes) and rate limits.

// checkPrefetch refuses speculative loads (link previews, prerendering):
// they must not mint sessions nobody asked for.
func checkPrefetch(r *http.Request) error {
	for _, name := range []string{"Sec-Purpose", "Purpose"} {
		for _, v := range r.Header.Values(name) {
			if strings.Contains(strings.ToLower(v), "prefetch") {
				return &refusal{code: codePrefetchRefused}
			}
		}
	}
	return nil
}

// crossSiteGuard refuses cross-site requests that carry a credential the
// browser attached by itself, which another site could otherwise use to
// mint sessions in the user's name. It follows the rule of Go's
// http.CrossOriginProtection, except that only Sec-Fetch-Site "cross-site"
// is refused and origins allowed for CORS pass.
type crossSiteGuard struct {
	allowed map[string]struct{} // CORS_ALLOWED_ORIGINS, exact strings
}

func (g crossSiteGuard) check(r *http.Request) error {
	origin := r.Header.Get("Origin")
	if _, ok := g.allowed[origin]; ok && origin != "" {
		return nil
	}
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" {
		if strings.EqualFold(strings.TrimSpace(site), "cross-site") {
			return &refusal{code: codeCrossSite}
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
	return &refusal{code: codeCrossSite}
}

// Rate limit scopes, the label of vaultgate_rate_limited_total.
const (
	scopeUser = "user"
	scopeIP   = "ip"
)

// limit is one rate limit with its scope's counters.
type limit struct {
	limiter Limiter // nil: no limit
	scope   string
	refused prometheus.Counter
	errors  prometheus.Counter
}

func newLimit(l Limiter, scope string, m *metrics) limit {
	if l == nil {
		return limit{}
	}
	return limit{limiter: l, scope: scope, refused: m.rateLimited.WithLabelValues(scope), errors: m.rateLimitErrors}
}

// check asks whether key may make one more request. When the limiter's
// shared state fails, the request is let through: an outage of Redis must
// not become an outage of /connect.
func (l limit) check(ctx context.Context, key string) error {
	if l.limiter == nil {
		return nil
	}
	d, err := l.limiter.Allow(ctx, key)
	if err != nil {
		l.errors.Inc()
		zerolog.Ctx(ctx).Error().Err(err).Str("scope", l.scope).Msg("rate limit check failed; request let through")
		return nil
	}
	if d.Allowed {
		return nil
	}
	l.refused.Inc()
	return &refusal{code: codeRateLimited, retryAfter: d.RetryAfter}
}

// clientIP is the address per-IP rate limits count against. With hops = 0
// it is the TCP peer. With hops = n > 0, n trusted proxies each appended
// the address they saw to X-Forwarded-For, so the n-th entry from the right
// is the one written by the outermost trusted proxy; entries further left
// come from the client and are ignored (spoofable). When there are fewer
// than n entries, or that entry is not an IP, the peer is used.
func clientIP(r *http.Request, hops int) string {
	peer := peerIP(r.RemoteAddr)
	if hops <= 0 {
		return peer
	}
	var entries []string
	for _, v := range r.Header.Values("X-Forwarded-For") {
		for e := range strings.SplitSeq(v, ",") {
			entries = append(entries, strings.TrimSpace(e))
		}
	}
	if len(entries) < hops {
		return peer
	}
	addr, err := netip.ParseAddr(entries[len(entries)-hops])
	if err != nil {
		return peer
	}
	return addr.Unmap().WithZone("").String()
}

// peerIP is the host part of a RemoteAddr, normalised when it parses.
func peerIP(remoteAddr string) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	if addr, err := netip.ParseAddr(host); err == nil {
		return addr.Unmap().WithZone("").String()
	}
	return host
}
