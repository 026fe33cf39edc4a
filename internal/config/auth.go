package config

import (
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/vaultgate/vaultgate/internal/auth"
)

// Authentication modes (AUTH_MODE).
const (
	ModeJWT     = "jwt"
	ModeForward = "forward"
	ModeHeader  = "header"
)

// Defaults of the AUTH_* variables and of the JWKS timings, which are not
// variables.
const (
	defaultClockSkew          = 30 * time.Second
	maxClockSkew              = 5 * time.Minute
	defaultForwardTimeout     = 3 * time.Second
	defaultRefreshInterval    = 5 * time.Minute
	defaultUnknownKIDInterval = 30 * time.Second
)

// authConfig is the result of parseAuth; only the mode's own part is
// filled, the others stay zero.
type authConfig struct {
	mode    string
	jwt     auth.JWTConfig
	hs256   Secret
	forward auth.ForwardConfig
	header  auth.HeaderConfig
}

// parseAuth reads AUTH_MODE and the variables of that mode. Variables of
// the other modes are ignored, not validated: an operator switching modes
// should not have to clear the old ones first.
func (p *problems) parseAuth(r rawEnv) authConfig {
	a := authConfig{mode: strings.ToLower(str(r.AuthMode, ModeJWT))}
	switch a.mode {
	case ModeJWT:
		a.jwt, a.hs256 = p.parseJWT(r)
	case ModeForward:
		a.forward = p.parseForward(r)
	case ModeHeader:
		a.header = p.parseHeader(r)
	default:
		p.add("AUTH_MODE", "%q is not one of jwt, forward, header", strings.TrimSpace(r.AuthMode))
	}
	return a
}

// parseForward reads the AUTH_FORWARD_* variables.
func (p *problems) parseForward(r rawEnv) auth.ForwardConfig {
	c := auth.ForwardConfig{
		URL:      p.urlVar("AUTH_FORWARD_URL", r.ForwardURL, true),
		Timeout:  p.positiveDuration("AUTH_FORWARD_TIMEOUT", r.ForwardTimeout, defaultForwardTimeout),
		CacheTTL: p.duration("AUTH_FORWARD_CACHE_TTL", r.ForwardCacheTTL, 0, 0),
	}
	if strings.TrimSpace(r.ForwardURL) == "" {
		p.add("AUTH_FORWARD_URL", "required when AUTH_MODE=forward")
	}
	return c
}

// parseHeader reads the AUTH_HEADER_* variables and AUTH_TRUSTED_PROXIES.
func (p *problems) parseHeader(r rawEnv) auth.HeaderConfig {
	c := auth.HeaderConfig{
		UserHeader:     p.headerName("AUTH_HEADER_USER", r.HeaderUser, "X-Forwarded-User"),
		EmailHeader:    p.headerName("AUTH_HEADER_EMAIL", r.HeaderEmail, "X-Forwarded-Email"),
		GroupsHeader:   p.headerName("AUTH_HEADER_GROUPS", r.HeaderGroups, "X-Forwarded-Groups"),
		TrustedProxies: p.parseTrustedProxies(r.TrustedProxies),
	}
	if len(list(r.TrustedProxies)) == 0 {
		// Without it, anyone who can reach the port could claim any
		// identity by sending the headers.
		p.add("AUTH_TRUSTED_PROXIES", "required when AUTH_MODE=header")
	}
	return c
}

// parseTrustedProxies reads a comma list of CIDR prefixes; a bare address
// stands for itself (/32 or /128).
func (p *problems) parseTrustedProxies(raw string) []netip.Prefix {
	var prefixes []netip.Prefix
	for i, item := range list(raw) {
		var pfx netip.Prefix
		var err error
		if strings.Contains(item, "/") {
			pfx, err = netip.ParsePrefix(item)
		} else {
			var addr netip.Addr
			if addr, err = netip.ParseAddr(item); err == nil {
				if addr.Zone() != "" {
					p.add("AUTH_TRUSTED_PROXIES", "entry %d: %q: zoned addresses are not supported", i, item)
					continue
				}
				pfx = netip.PrefixFrom(addr, addr.BitLen())
			}
		}
		if err != nil {
			p.add("AUTH_TRUSTED_PROXIES", "entry %d: %q is not an IP address or CIDR prefix", i, item)
			continue
		}
		// 10.1.2.3/8 means 10.0.0.0/8, as net.ParseCIDR reads it.
		if pfx = pfx.Masked(); !slices.Contains(prefixes, pfx) {
			prefixes = append(prefixes, pfx)
		}
	}
	return prefixes
}

// headerName reads an HTTP header name (an RFC 9110 token).
func (p *problems) headerName(name, raw, def string) string {
	v := str(raw, def)
	if !isToken(v) {
		p.add(name, "%q is not a valid HTTP header name", v)
		return def
	}
	return v
}

// isToken reports whether v is a non-empty RFC 9110 token, the syntax of
// header and cookie names.
func isToken(v string) bool {
	if v == "" {
		return false
	}
	for i := range len(v) {
		c := v[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}
