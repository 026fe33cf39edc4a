package config

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/http/httpguts"

	"github.com/vaultgate/vaultgate/internal/auth"
)

// The JWT key sources, of which exactly one is set.
const (
	varJWKSURL    = "AUTH_JWKS_URL"
	varOIDCIssuer = "AUTH_OIDC_ISSUER"
	varHS256      = "AUTH_HS256_SECRET"
)

// parseAuth reads AUTH_MODE and that mode's variables. The other modes'
// are not validated: switching modes should not mean clearing them first.
func (p *parser) parseAuth(d Config, c *Config) {
	switch c.AuthMode = p.oneOf("AUTH_MODE", d.AuthMode, ModeJWT, ModeForward, ModeHeader); c.AuthMode {
	case ModeJWT:
		c.JWT, c.HS256Secret = p.parseJWT(d.JWT)
	case ModeForward:
		c.Forward = auth.ForwardConfig{
			URL:      p.transportURL("AUTH_FORWARD_URL", urlQuery),
			Timeout:  p.duration("AUTH_FORWARD_TIMEOUT", d.Forward.Timeout, 0, true),
			CacheTTL: p.duration("AUTH_FORWARD_CACHE_TTL", d.Forward.CacheTTL, 0, false),
			// Each lookup in flight holds a connection to the app.
			MaxConcurrency: p.integer("AUTH_FORWARD_MAX_CONCURRENCY", d.Forward.MaxConcurrency, 1, 10_000),
		}
		if p.str("AUTH_FORWARD_URL", "") == "" {
			p.add("AUTH_FORWARD_URL", "required when AUTH_MODE=forward")
		}
	case ModeHeader:
		c.Header = auth.HeaderConfig{
			UserHeader:     p.headerName("AUTH_HEADER_USER", d.Header.UserHeader),
			EmailHeader:    p.headerName("AUTH_HEADER_EMAIL", d.Header.EmailHeader),
			GroupsHeader:   p.headerName("AUTH_HEADER_GROUPS", d.Header.GroupsHeader),
			TrustedProxies: p.prefixes("AUTH_TRUSTED_PROXIES"),
		}
		if p.list("AUTH_TRUSTED_PROXIES") == nil {
			// Without it, anyone who reaches the port could claim any
			// identity by sending the headers.
			p.add("AUTH_TRUSTED_PROXIES", "required when AUTH_MODE=header")
		}
	}
}

// parseJWT reads the variables of AUTH_MODE=jwt.
func (p *parser) parseJWT(c auth.JWTConfig) (auth.JWTConfig, Secret) {
	c.JWKSURL = p.transportURL(varJWKSURL, urlQuery)
	c.OIDCIssuer = p.transportURL(varOIDCIssuer, urlPlain)
	// More would accept tokens long expired.
	c.ClockSkew = p.duration("AUTH_CLOCK_SKEW", c.ClockSkew, 5*time.Minute, false)

	hs, hsSet := p.secret(varHS256)
	var sources []string
	for i, set := range []bool{p.str(varJWKSURL, "") != "", p.str(varOIDCIssuer, "") != "", hsSet} {
		if set {
			sources = append(sources, []string{varJWKSURL, varOIDCIssuer, varHS256}[i])
		}
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

	// Kept verbatim, trailing slash included: it is compared byte for byte
	// with each token's iss (Auth0's issuers end in "/").
	if c.Issuer = p.str("AUTH_ISSUER", p.str(varOIDCIssuer, "")); c.Issuer == "" {
		p.add("AUTH_ISSUER", "required when AUTH_MODE=jwt (defaults to AUTH_OIDC_ISSUER)")
	}
	if c.Audience = p.str("AUTH_AUDIENCE", ""); c.Audience == "" {
		p.add("AUTH_AUDIENCE", "required when AUTH_MODE=jwt")
	}
	if c.CookieName = p.str("AUTH_COOKIE_NAME", ""); c.CookieName != "" && !httpguts.ValidHeaderFieldName(c.CookieName) {
		// Cookie names are RFC 9110 tokens, as header names are.
		p.add("AUTH_COOKIE_NAME", "%q is not a valid cookie name", c.CookieName)
	}

	c.Algorithms = p.parseAlgorithms(source)
	if source == varHS256 && !hs.IsZero() {
		// RFC 7518 §3.2: a key at least as long as the hash output, so
		// HSnnn needs nnn/8 bytes.
		n := 32
		for _, alg := range c.Algorithms {
			bits, _ := strconv.Atoi(strings.TrimPrefix(alg, "HS"))
			n = max(n, bits/8)
		}
		name := varHS256
		if p.str(varHS256+"_FILE", "") != "" {
			name += "_FILE"
		}
		if len(hs.Reveal()) < n {
			p.add(name, "the secret must be at least %d bytes long", n)
		}
	}
	return c, hs
}

// parseAlgorithms reads AUTH_ALGORITHMS, JOSE names matched
// case-insensitively and returned in their canonical case. source is the
// key source in use, or "" when that is itself a problem.
func (p *parser) parseAlgorithms(source string) []string {
	const name = "AUTH_ALGORITHMS"
	known := auth.Algorithms()
	var algs, unknown []string
	for _, item := range p.list(name) {
		i := slices.IndexFunc(known, func(a string) bool { return strings.EqualFold(a, item) })
		switch {
		case strings.EqualFold(item, "none"):
			p.add(name, `"none" is never accepted`) // it would accept unsigned tokens
		case i < 0:
			unknown = append(unknown, item)
		case !slices.Contains(algs, known[i]):
			algs = append(algs, known[i])
		}
	}
	if len(unknown) > 0 {
		p.add(name, "unknown algorithms %s (known: %s)", notIn(unknown, nil), strings.Join(known, ", "))
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
			// A JWKS is public: an HMAC key taken from it lets anyone sign
			// tokens (the algorithm-confusion attack).
			p.add(name, "%s is an HMAC algorithm and cannot be used with %s", alg, source)
		case !hmac && source == varHS256:
			p.add(name, "%s needs a public key; with %s only HS256, HS384 and HS512 apply", alg, varHS256)
		}
	}
	return algs
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
