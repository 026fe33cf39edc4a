package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

const oidcDiscoveryPath = "/.well-known/openid-configuration"

var (
	errOIDCNotJSON        = errors.New("oidc discovery: document is not a JSON object")
	errOIDCBadJWKSURI     = errors.New("oidc discovery: jwks_uri is not an absolute http(s) URL")
	errOIDCIssuerMismatch = errors.New("oidc discovery: document's issuer differs from the configured issuer")
)

// resolveJWKSURL returns the configured JWKS URL or, in OIDC mode, the
// jwks_uri of the discovery document. Discovery runs until it first
// succeeds; the result is kept for the life of the process.
func (v *JWT) resolveJWKSURL(ctx context.Context) (string, error) {
	if p := v.jwksURL.Load(); p != nil {
		return *p, nil
	}
	uri, err := v.discover(ctx)
	if err != nil {
		return "", err
	}
	v.jwksURL.Store(&uri)
	return uri, nil
}

// discover reads {issuer}/.well-known/openid-configuration. The document's
// issuer must equal the configured one exactly (OpenID Connect Discovery
// §4.3): otherwise a look-alike issuer's keys could be trusted.
func (v *JWT) discover(ctx context.Context) (string, error) {
	endpoint := strings.TrimRight(v.cfg.OIDCIssuer, "/") + oidcDiscoveryPath
	body, err := v.get(ctx, endpoint)
	if err != nil {
		return "", fmt.Errorf("oidc discovery: %w", err)
	}
	var doc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return "", errOIDCNotJSON
	}
	if doc.Issuer != v.cfg.OIDCIssuer {
		return "", fmt.Errorf("%w: configured %q, document says %q", errOIDCIssuerMismatch, v.cfg.OIDCIssuer, truncate(doc.Issuer, 200))
	}
	u, err := url.Parse(doc.JWKSURI)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", errOIDCBadJWKSURI
	}
	return u.String(), nil
}

// truncate bounds a string taken from a remote document before it reaches a log.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
