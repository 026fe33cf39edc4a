package config

import (
	"net/netip"
	"slices"
	"strings"
	"time"

	"golang.org/x/net/http/httpguts"

	"github.com/vaultgate/vaultgate/internal/auth"
)

// Names of the JWT key-source variables, for messages.
const (
	varJWKSURL    = "AUTH_JWKS_URL"
	varOIDCIssuer = "AUTH_OIDC_ISSUER"
	varHS256      = "AUTH_HS256_SECRET"
)

// maxClockSkew bounds AUTH_CLOCK_SKEW: more would accept tokens long expired.
const maxClockSkew = 5 * time.Minute

// parseAuth reads AUTH_MODE and the variables of that mode into c. The
// variables of the other modes are ignored, not validated: an operator
// switching modes should not have to clear the old ones first.
func (p *parser) parseAuth(d Config, c *Config) {
	switch c.AuthMode = strings.ToLower(p.str("AUTH_MODE", d.AuthMode)); c.AuthMode {
	case ModeJWT:
		c.JWT, c.HS256Secret = p.parseJWT(d.JWT)
	case ModeForward:
		c.Forward = auth.ForwardConfig{
			URL:      p.url("AUTH_FORWARD_URL", "", true),
			Timeout:  p.duration("AUTH_FORWARD_TIMEOUT", d.Forward.Timeout, 0, true),
			CacheTTL: p.duration("AUTH_FORWARD_CACHE_TTL", d.Forward.CacheTTL, 0, false),
		}
		if p.str("AUTH_FORWARD_URL", "") == "" {
			p.add("AUTH_FORWARD_URL", "required when AUTH_MODE=forward")
		}
	case ModeHeader:
		c.Header = auth.HeaderConfig{
			UserHeader:     p.headerName("AUTH_HEADER_USER", d.Header.UserHeader),
			EmailHeader:    p.headerName("AUTH_HEADER_EMAIL", d.Header.EmailHeader),
			GroupsHeader:   p.headerName("AUTH_HEADER_GROUPS", d.Header.GroupsHeader),
			TrustedProxies: p.parseTrustedProxies(),
		}
		if p.list("AUTH_TRUSTED_PROXIES") == nil {
			// Without it, anyone who can reach the port could claim any
			// identity by sending the headers.
			p.add("AUTH_TRUSTED_PROXIES", "required when AUTH_MODE=header")
		}
	default:
		p.add("AUTH_MODE", "%q is not one of jwt, forward, header", c.AuthMode)
	}
}

// parseJWT reads the variables of AUTH_MODE=jwt.
func (p *parser) parseJWT(d auth.JWTConfig) (auth.JWTConfig, Secret) {
	c := d
	c.JWKSURL = p.url(varJWKSURL, "", true)
	c.OIDCIssuer = p.url(varOIDCIssuer, "", false)
	c.ClockSkew = p.duration("AUTH_CLOCK_SKEW", d.ClockSkew, maxClockSkew, false)

	hs, hsSet := p.secret(varHS256)
	var sources []string
	for _, name := range []string{varJWKSURL, varOIDCIssuer} {
		if p.str(name, "") != "" {
			sources = append(sources, name)
		}
	}
	if hsSet {
		sources = append(sources, varHS256)
	}
	source := ""
	switch len(sources) {
	case 0:
		p.add(varJWKSURL+", "+varOIDCIssuer+", "+varHS256, "one key source is required when AUTH_MODE=jwt")
	case 1:
		source = sources[0]
	default:
		p.add(strings.Join(sources, ", "), "set only one key source")
	}

	// The issuer is kept verbatim, trailing slash included: it is compared
	// byte for byte with each token's iss (Auth0's issuers end in "/").
	if c.Issuer = p.str("AUTH_ISSUER", p.str(varOIDCIssuer, "")); c.Issuer == "" {
		p.add("AUTH_ISSUER", "required when AUTH_MODE=jwt (defaults to AUTH_OIDC_ISSUER)")
	}
	if c.Audience = p.str("AUTH_AUDIENCE", ""); c.Audience == "" {
		p.add("AUTH_AUDIENCE", "required when AUTH_MODE=jwt")
	}
	if v := p.str("AUTH_COOKIE_NAME", ""); v != "" && !httpguts.ValidHeaderFieldName(v) {
		// Cookie names are RFC 9110 tokens, as header names are.
		p.add("AUTH_COOKIE_NAME", "%q is not a valid cookie name", v)
	} else {
		c.CookieName = v
	}

	c.Algorithms = p.parseAlgorithms(source)
	if source == varHS256 && !hs.IsZero() {
		name := varHS256
		if p.str(varHS256+"_FILE", "") != "" {
			name += "_FILE"
		}
		if n := minSecretLen(c.Algorithms); len(hs.Reveal()) < n {
			p.add(name, "the secret must be at least %d bytes long", n)
		}
	}
	return c, hs
}

// parseAlgorithms reads AUTH_ALGORITHMS, an allow-list of JOSE algorithm
// names matched case-insensitively and returned in their canonical case.
// source is the key-source variable in use, or "" when that is itself a
// problem (then only the names are checked).
func (p *parser) parseAlgorithms(source string) []string {
	const name = "AUTH_ALGORITHMS"
	var algs, unknown []string
	for _, item := range p.list(name) {
		i := slices.IndexFunc(auth.Algorithms(), func(a string) bool { return strings.EqualFold(a, item) })
		switch {
		case strings.EqualFold(item, "none"):
			// Accepting "none" would accept unsigned tokens.
			p.add(name, `"none" is never accepted`)
		case i < 0:
			unknown = append(unknown, item)
		case !slices.Contains(algs, auth.Algorithms()[i]):
			algs = append(algs, auth.Algorithms()[i])
		}
	}
	if len(unknown) > 0 {
		p.add(name, "unknown algorithms %s (known: %s)", notIn(unknown, nil), strings.Join(auth.Algorithms(), ", "))
	}
	switch {
	case algs != nil:
	case source == varHS256:
		return []string{"HS256"}
	default:
		algs = []string{"RS256", "ES256", "EdDSA"}
	}
	for _, alg := range algs {
		switch hmac := strings.HasPrefix(alg, "HS"); {
		case hmac && (source == varJWKSURL || source == varOIDCIssuer):
			// A JWKS is public; an HMAC key taken from it lets anyone
			// sign tokens (the classic algorithm-confusion attack).
			p.add(name, "%s is an HMAC algorithm and cannot be used with %s", alg, source)
		case !hmac && source == varHS256:
			p.add(name, "%s needs a public key; with %s only HS256, HS384 and HS512 apply", alg, varHS256)
		}
	}
	return algs
}

// minSecretLen is the shortest HMAC secret all of algs accept: RFC 7518
// §3.2 requires a key at least as long as the hash output.
func minSecretLen(algs []string) int {
	n := 32
	for _, alg := range algs {
		switch alg {
		case "HS384":
			n = max(n, 48)
		case "HS512":
			n = max(n, 64)
		}
	}
	return n
}

// headerName reads an HTTP header name.
func (p *parser) headerName(name, def string) string {
	v := p.str(name, def)
	if !httpguts.ValidHeaderFieldName(v) {
		p.add(name, "%q is not a valid HTTP header name", v)
		return def
	}
	return v
}

// parseTrustedProxies reads a comma list of CIDR prefixes; a bare address
// stands for itself (/32 or /128).
func (p *parser) parseTrustedProxies() []netip.Prefix {
	var prefixes []netip.Prefix
	for i, item := range p.list("AUTH_TRUSTED_PROXIES") {
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
