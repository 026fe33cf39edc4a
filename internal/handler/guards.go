package handler

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"

	"github.com/rs/zerolog"

	"github.com/vaultgate/vaultgate/internal/auth"
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

// checkCrossSite refuses a cross-site request. It is asked when the
// credential is one the browser attaches by itself, with which another
// site could mint sessions in the user's name. It follows Go's
// http.CrossOriginProtection, except that GETs are checked too, only
// Sec-Fetch-Site "cross-site" is refused and the CORS origins pass.
func checkCrossSite(r *http.Request, corsOrigins []string) error {
	origin := r.Header.Get("Origin")
	if origin != "" && slices.Contains(corsOrigins, origin) {
		return nil
	}
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" {
		if strings.EqualFold(strings.TrimSpace(site), "cross-site") {
			return &refusal{code: codeCrossSite}
		}
		return nil
	}
	// "null" (sandboxed frames, opaque origins) parses without a host and
	// so counts as differing.
	if u, err := url.Parse(origin); origin == "" || err == nil && u.Host == r.Host {
		return nil
	}
	return &refusal{code: codeCrossSite}
}

// Rate limit scopes, the label of vaultgate_rate_limited_total.
const (
	scopeUser = "user"
	scopeIP   = "ip"
)

// checkLimit asks l (nil: no limit) whether key may make one more request.
// When the limiter's shared state fails, the request is let through: an
// outage of Redis must not become an outage of /connect.
func checkLimit(ctx context.Context, m *metrics, l Limiter, scope, key string) error {
	if l == nil {
		return nil
	}
	switch d, err := l.Allow(ctx, key); {
	case err != nil:
		m.rateLimitErrors.Inc()
		zerolog.Ctx(ctx).Error().Err(err).Str("scope", scope).Msg("rate limit check failed; request let through")
	case !d.Allowed:
		m.rateLimited.WithLabelValues(scope).Inc()
		return &refusal{code: codeRateLimited, retryAfter: d.RetryAfter}
	}
	return nil
}

// checkIPLimit counts r against the per-IP limit, when there is one.
func checkIPLimit(r *http.Request, m *metrics, d *Deps) error {
	if d.IPLimit == nil {
		return nil // no address to work out
	}
	return checkLimit(r.Context(), m, d.IPLimit, scopeIP, clientIP(r, d.Connect.TrustedProxyHops, d.Connect.TrustedProxyCIDRs))
}

// clientIP is the key per-IP rate limits count against. With hops = n > 0
// and a TCP peer inside trusted (the proxies), it is the n-th
// X-Forwarded-For entry from the right, written by the outermost trusted
// proxy (entries further left come from the client, so are spoofable);
// otherwise, or when that entry is missing or no IP, the TCP peer. An IPv6
// address counts as its /64: one subscriber usually holds a whole /64.
func clientIP(r *http.Request, hops int, trusted []netip.Prefix) string {
	ip, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		ip = r.RemoteAddr
	}
	entries := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	if hops > 0 && len(entries) >= hops && auth.TrustedPeer(r.RemoteAddr, trusted) {
		if addr, err := netip.ParseAddr(strings.TrimSpace(entries[len(entries)-hops])); err == nil {
			ip = addr.String()
		}
	}
	addr, err := netip.ParseAddr(ip)
	switch addr = addr.Unmap().WithZone(""); {
	case err != nil:
		return ip
	case addr.Is6():
		return netip.PrefixFrom(addr, 64).Masked().String()
	}
	return addr.String()
}
