package config

import (
	"slices"
	"strings"

	"github.com/vaultgate/vaultgate/internal/auth"
)

// Names of the JWT key-source variables, for messages.
const (
	varJWKSURL    = "AUTH_JWKS_URL"
	varOIDCIssuer = "AUTH_OIDC_ISSUER"
	varHS256      = "AUTH_HS256_SECRET"
)

// minHMACSecret is the shortest AUTH_HS256_SECRET accepted: RFC 7518
// §3.2 requires a key at least as long as the hash output.
const minHMACSecret = 32

// parseJWT reads the variables of AUTH_MODE=jwt.
func (p *problems) parseJWT(r rawEnv) auth.JWTConfig {
	c := auth.JWTConfig{
		JWKSURL:            p.urlVar(varJWKSURL, r.JWKSURL, true),
		OIDCIssuer:         p.urlVar(varOIDCIssuer, r.OIDCIssuer, false),
		ClockSkew:          p.duration("AUTH_CLOCK_SKEW", r.ClockSkew, defaultClockSkew, maxClockSkew),
		RefreshInterval:    defaultRefreshInterval,
		UnknownKIDInterval: defaultUnknownKIDInterval,
	}

	hs, hsSet := p.secretValue(varHS256, r.HS256Secret, r.HS256SecretFile)
	var sources []string
	if strings.TrimSpace(r.JWKSURL) != "" {
		sources = append(sources, varJWKSURL)
	}
	if strings.TrimSpace(r.OIDCIssuer) != "" {
		sources = append(sources, varOIDCIssuer)
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
	c.Issuer = str(r.Issuer, strings.TrimSpace(r.OIDCIssuer))
	if c.Issuer == "" {
		p.add("AUTH_ISSUER", "required when AUTH_MODE=jwt (defaults to AUTH_OIDC_ISSUER)")
	}
	c.Audience = strings.TrimSpace(r.Audience)
	if c.Audience == "" {
		p.add("AUTH_AUDIENCE", "required when AUTH_MODE=jwt")
	}
	if v := strings.TrimSpace(r.CookieName); v != "" {
		if isToken(v) {
			c.CookieName = v
		} else {
			p.add("AUTH_COOKIE_NAME", "%q is not a valid cookie name", v)
		}
	}

	c.Algorithms = p.parseAlgorithms(r.Algorithms, source)
	if source == varHS256 && !hs.IsZero() {
		name := varHS256
		if strings.TrimSpace(r.HS256SecretFile) != "" {
			name += "_FILE"
		}
		if n := minSecretLen(c.Algorithms); len(hs.Reveal()) < n {
			p.add(name, "the secret must be at least %d bytes long", n)
		}
	}
	if !hs.IsZero() {
		c.HS256Secret = []byte(hs.Reveal())
	}
	return c
}

// parseAlgorithms reads AUTH_ALGORITHMS, an allow-list of JOSE algorithm
// names matched case-insensitively and returned in their canonical case.
// source is the key-source variable in use, or "" when that is itself a
// problem (then only the names are checked).
func (p *problems) parseAlgorithms(raw, source string) []string {
	const name = "AUTH_ALGORITHMS"
	var algs, unknown []string
	for _, item := range list(raw) {
		if strings.EqualFold(item, "none") {
			// Accepting "none" would accept unsigned tokens.
			p.add(name, `"none" is never accepted`)
			continue
		}
		if alg := canonicalAlgorithm(item); alg == "" {
			unknown = append(unknown, item)
		} else if !slices.Contains(algs, alg) {
			algs = append(algs, alg)
		}
	}
	if len(unknown) > 0 {
		p.add(name, "unknown algorithms %s (known: %s)", quoteList(unknown), strings.Join(auth.Algorithms(), ", "))
	}
	if algs == nil {
		if source == varHS256 {
			return []string{"HS256"}
		}
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

// canonicalAlgorithm returns name's canonical spelling, or "" if unknown.
func canonicalAlgorithm(name string) string {
	for _, alg := range auth.Algorithms() {
		if strings.EqualFold(alg, name) {
			return alg
		}
	}
	return ""
}

// minSecretLen is the shortest HMAC secret all of algs accept.
func minSecretLen(algs []string) int {
	n := minHMACSecret
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
