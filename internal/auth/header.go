package auth

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/rs/zerolog"
)

const maxIdentityHeader = 1024 // bytes of each identity header

// HeaderConfig configures identity from a trusted proxy's headers.
type HeaderConfig struct {
	UserHeader, EmailHeader, GroupsHeader string
	TrustedProxies                        []netip.Prefix // the only peers whose headers count
}

// Header takes identity from a trusted proxy's headers (oauth2-proxy, an IAP)
// only when the TCP peer is that proxy: from anyone else they are forgeries.
type Header struct {
	cfg        HeaderConfig
	droppedLog zerolog.Logger // at most a line a minute: any client can reach this
}

// NewHeader returns a header authenticator that logs to log which peer's
// identity headers it ignored.
func NewHeader(cfg HeaderConfig, log zerolog.Logger) *Header {
	return &Header{cfg: cfg, droppedLog: log.With().Str("component", "header_auth").Logger().
		Sample(&zerolog.BurstSampler{Burst: 1, Period: time.Minute})}
}

// Ambient holds always: the proxy authenticates the browser by its own cookie.
func (h *Header) Ambient(*http.Request) bool { return true }

// Authenticate exposes the headers as claims sub, email and groups.
func (h *Header) Authenticate(r *http.Request) (Identity, error) {
	if !TrustedPeer(r.RemoteAddr, h.cfg.TrustedProxies) {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			host = r.RemoteAddr
		}
		// The address tells a proxy missing from the list from a client
		// going around it.
		if r.Header.Get(h.cfg.UserHeader) != "" {
			h.droppedLog.Info().Str("peer", host).Msg("identity headers ignored: the peer is not in AUTH_TRUSTED_PROXIES")
		}
		return Identity{}, unauthenticated(ReasonUntrustedPeer, fmt.Errorf("peer %s is outside AUTH_TRUSTED_PROXIES", host))
	}
	user, ok := headerValue(r, h.cfg.UserHeader)
	if !ok {
		return Identity{}, unauthenticated(ReasonMalformed, errors.New("malformed user header"))
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

// TrustedPeer reports whether remoteAddr (host:port, as in
// http.Request.RemoteAddr) lies in one of trusted. An IPv4-mapped IPv6 peer
// is matched as IPv4, as the prefixes are written.
func TrustedPeer(remoteAddr string, trusted []netip.Prefix) bool {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && slices.ContainsFunc(trusted, func(p netip.Prefix) bool { return p.Contains(ip.Unmap()) })
}

// headerValue is a header's value; not ok when repeated, too long or not printable.
func headerValue(r *http.Request, name string) (string, bool) {
	v := strings.TrimSpace(r.Header.Get(name))
	if len(r.Header.Values(name)) > 1 || len(v) > maxIdentityHeader || strings.ContainsFunc(v, func(c rune) bool { return c < 0x20 || c > 0x7e }) {
		return "", false
	}
	return v, true
}
