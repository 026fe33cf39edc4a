package auth

import (
	"errors"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
)

// maxIdentityHeader bounds each identity header's value.
const maxIdentityHeader = 1024

// HeaderConfig configures identity from a trusted proxy's headers.
type HeaderConfig struct {
	UserHeader, EmailHeader, GroupsHeader string
	TrustedProxies                        []netip.Prefix // the only peers whose headers count
}

// Header takes identity from a trusted proxy's headers (oauth2-proxy,
// Pomerium, a cloud IAP), and only when the TCP peer is that proxy: from
// anyone else the same headers are forgeries.
type Header struct{ cfg HeaderConfig }

// NewHeader returns a header authenticator.
func NewHeader(cfg HeaderConfig) *Header { return &Header{cfg: cfg} }

// Ambient holds always: the proxy authenticates the browser by its own cookie.
func (h *Header) Ambient(*http.Request) bool { return true }

// Authenticate exposes the headers as claims sub, email and groups.
func (h *Header) Authenticate(r *http.Request) (Identity, error) {
	if !h.trustedPeer(r.RemoteAddr) {
		return Identity{}, unauthenticated(ReasonUntrustedPeer, errors.New("identity headers from a peer outside AUTH_TRUSTED_PROXIES"))
	}
	user, ok := headerValue(r, h.cfg.UserHeader)
	if !ok {
		return Identity{}, unauthenticated(ReasonInvalid, errors.New("malformed user header"))
	}
	if user == "" {
		return Identity{}, unauthenticated(ReasonMissing, errors.New("no user header"))
	}
	claims := map[string]any{"sub": user}
	if email, ok := headerValue(r, h.cfg.EmailHeader); ok && email != "" {
		claims["email"] = email
	}
	if groups, ok := headerValue(r, h.cfg.GroupsHeader); ok && groups != "" {
		var list []any
		for g := range strings.SplitSeq(groups, ",") {
			if g = strings.TrimSpace(g); g != "" {
				list = append(list, g)
			}
		}
		claims["groups"] = list
	}
	return Identity{Subject: user, Claims: claims}, nil
}

func (h *Header) trustedPeer(remoteAddr string) bool {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && slices.ContainsFunc(h.cfg.TrustedProxies, func(p netip.Prefix) bool { return p.Contains(ip.Unmap()) })
}

// headerValue returns a header's single value; ok is false when it is
// repeated, too long or not printable ASCII.
func headerValue(r *http.Request, name string) (string, bool) {
	values := r.Header.Values(name)
	if len(values) == 0 {
		return "", true
	}
	v := strings.TrimSpace(values[0])
	if len(values) > 1 || len(v) > maxIdentityHeader || strings.ContainsFunc(v, func(c rune) bool { return c < 0x20 || c > 0x7e }) {
		return "", false
	}
	return v, true
}
