package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"
)

// Algorithms lists the JWS algorithms a verifier can be configured with,
// in their canonical spelling. "none" is deliberately not one.
func Algorithms() []string {
	return []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
		"ES256", "ES384", "ES512", "EdDSA", "HS256", "HS384", "HS512"}
}

// Labels of vaultgate_jwks_fetches_total.
const (
	triggerStartup    = "startup"
	triggerRefresh    = "refresh"
	triggerUnknownKID = "unknown_kid"
	resultOK          = "ok"
	resultError       = "error"
)

const (
	fetchTimeout      = 5 * time.Second // one GET of the JWKS or discovery document
	maxFetchBody      = 1 << 20
	startupRetryDelay = 2 * time.Second // doubles after each failure, up to the refresh interval
	maxKeyAttempts    = 8               // keys one token is tried against: a large set must not cost many checks
)

var errFetchTooLarge = errors.New("body larger than 1 MiB")

// keySet is an immutable JWKS snapshot, kid-less keys first; a refresh replaces it.
type keySet struct{ keys []jose.JSONWebKey }

// parseJWKS skips (and counts) keys that cannot verify signatures, so one
// odd entry does not discard the set. Errors never quote the document.
func parseJWKS(body []byte) (set *keySet, skipped int, err error) {
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, 0, errors.New("jwks: body is not a JSON key set")
	}
	var withKID, withoutKID []jose.JSONWebKey
	for _, raw := range doc.Keys {
		var k jose.JSONWebKey
		// IsPublic is false for symmetric and private keys alike: an "oct"
		// key in a public JWKS would let anyone who reads it mint tokens.
		if k.UnmarshalJSON(raw) != nil || !k.IsPublic() || !k.Valid() || (k.Use != "" && k.Use != "sig") {
			skipped++
		} else if k.KeyID == "" {
			withoutKID = append(withoutKID, k)
		} else {
			withKID = append(withKID, k)
		}
	}
	if len(withKID)+len(withoutKID) == 0 {
		return nil, skipped, errors.New("jwks: no usable public signing keys")
	}
	return &keySet{keys: append(withoutKID, withKID...)}, skipped, nil
}

// candidates lists the keys that may verify alg and kid (a kid selects its keys).
func (s *keySet) candidates(alg jose.SignatureAlgorithm, kid string) []jwt.VerificationKey {
	if s == nil {
		return nil
	}
	var out []jwt.VerificationKey
	for _, k := range s.keys {
		if (kid == "" || k.KeyID == kid) && keyFits(alg, k.Algorithm, k.Key) {
			if out = append(out, k.Key); len(out) == maxKeyAttempts {
				break
			}
		}
	}
	return out
}

// keyFits guards against algorithm confusion: the key's type (and JWK "alg")
// must fit the token's alg, so an RSA public key never serves as an HMAC secret.
func keyFits(alg jose.SignatureAlgorithm, jwkAlg string, key any) bool {
	if jwkAlg != "" && jwkAlg != string(alg) {
		return false
	}
	switch alg {
	case jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512:
		_, ok := key.(*rsa.PublicKey)
		return ok
	case jose.ES256, jose.ES384, jose.ES512:
		k, ok := key.(*ecdsa.PublicKey)
		if !ok || k == nil || k.Curve == nil {
			return false
		}
		curve := k.Curve.Params().Name
		return alg == jose.ES256 && curve == "P-256" || alg == jose.ES384 && curve == "P-384" || alg == jose.ES512 && curve == "P-521"
	case jose.EdDSA:
		k, ok := key.(ed25519.PublicKey)
		return ok && len(k) == ed25519.PublicKeySize
	case jose.HS256, jose.HS384, jose.HS512:
		k, ok := key.([]byte)
		return ok && len(k) > 0
	}
	return false
}

// fetch loads the key set and swaps it in; on failure the known keys stay.
func (v *JWT) fetch(ctx context.Context, trigger string) error {
	v.fetchMu.Lock()
	defer v.fetchMu.Unlock()
	set, skipped, err := v.fetchKeysSafely(ctx)
	if err != nil {
		v.fetches.WithLabelValues(trigger, resultError).Inc()
		v.log.Warn().Err(err).Str("trigger", trigger).Bool("keys_loaded", v.keys.Load() != nil).Msg("jwks fetch failed")
		return err
	}
	v.keys.Store(set)
	v.fetches.WithLabelValues(trigger, resultOK).Inc()
	v.log.Debug().Str("trigger", trigger).Int("keys", len(set.keys)).Int("skipped_keys", skipped).Msg("jwks loaded")
	if skipped > 0 {
		v.log.Warn().Int("skipped_keys", skipped).Msg("jwks holds keys that cannot verify signatures; ignored")
	}
	return nil
}

// fetchKeysSafely is fetchKeys with a panic turned into an error: fetches
// run on the refresh loop's goroutine and inside singleflight, where a
// panic could not be recovered and would end the process.
func (v *JWT) fetchKeysSafely(ctx context.Context) (set *keySet, skipped int, err error) {
	defer func() {
		if p := recover(); p != nil {
			set, skipped, err = nil, 0, fmt.Errorf("jwks fetch panicked: %v", p) // about a public document
		}
	}()
	return v.fetchKeys(ctx)
}

// fetchKeys runs under fetchMu; with OIDC it discovers the JWKS URL first.
func (v *JWT) fetchKeys(ctx context.Context) (*keySet, int, error) {
	if v.jwksURL == "" {
		uri, err := v.discover(ctx)
		if err != nil {
			return nil, 0, fmt.Errorf("oidc discovery: %w", err)
		}
		v.jwksURL = uri
	}
	body, err := v.get(ctx, v.jwksURL)
	if err != nil {
		return nil, 0, fmt.Errorf("jwks: %w", err)
	}
	return parseJWKS(body)
}

// discover reads the discovery document, whose issuer must equal ours exactly
// (OpenID Connect Discovery §4.3), or a look-alike issuer's keys are trusted.
func (v *JWT) discover(ctx context.Context) (string, error) {
	body, err := v.get(ctx, strings.TrimRight(v.cfg.OIDCIssuer, "/")+"/.well-known/openid-configuration")
	if err != nil {
		return "", err
	}
	var doc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return "", errors.New("document is not a JSON object")
	}
	if doc.Issuer != v.cfg.OIDCIssuer { // remote text, bounded before it reaches a log
		return "", fmt.Errorf("document's issuer differs: configured %q, document says %.200q", v.cfg.OIDCIssuer, doc.Issuer)
	}
	u, err := url.Parse(doc.JWKSURI)
	switch {
	case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "":
		return "", errors.New("jwks_uri is not an absolute http(s) URL")
	case strings.HasPrefix(v.cfg.OIDCIssuer, "https://") && u.Scheme != "https":
		// Keys fetched in clear could be swapped on the way.
		return "", errors.New("jwks_uri of an https issuer is not https")
	}
	return u.String(), nil
}

// get fetches uri. Its errors name scheme, host and path only: a JWKS
// URL's query may carry an API key.
func (v *JWT) get(ctx context.Context, uri string) ([]byte, error) {
	body, err := v.getBody(ctx, uri)
	if ue, ok := errors.AsType[*url.Error](err); ok {
		err = ue.Err // net/url's and net/http's errors quote the whole URL
	}
	if err != nil {
		where := "[unparsable URL]"
		if u, perr := url.Parse(uri); perr == nil {
			where = (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
		}
		return nil, fmt.Errorf("GET %s: %w", where, err)
	}
	return body, nil
}

func (v *JWT) getBody(ctx context.Context, uri string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, uri, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := v.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxFetchBody+1))
	switch {
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("status %d", resp.StatusCode)
	case err == nil && len(body) > maxFetchBody:
		return nil, errFetchTooLarge
	}
	return body, err
}

// refreshLoop refetches every RefreshInterval until ctx is done; after a
// failure sooner, so a JWKS down at start is picked up within seconds.
func (v *JWT) refreshLoop(ctx context.Context, ok bool) {
	backoff := startupRetryDelay
	for {
		wait := v.cfg.RefreshInterval
		if ok {
			backoff = startupRetryDelay
		} else {
			wait, backoff = min(backoff, wait), min(2*backoff, wait)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		trigger := triggerRefresh
		if v.keys.Load() == nil {
			trigger = triggerStartup
		}
		ok = v.fetch(ctx, trigger) == nil
	}
}

// refetchForUnknownKey refetches the JWKS for an unknown kid (a rotation),
// at most once per UnknownKIDInterval so made-up kids cannot flood the JWKS;
// callers meanwhile wait for it. It returns the key set as it stands then.
func (v *JWT) refetchForUnknownKey(ctx context.Context) *keySet {
	ch := v.kidFlight.DoChan("jwks", func() (any, error) {
		now := time.Now()
		if now.Sub(v.lastKIDPull) < v.cfg.UnknownKIDInterval {
			return nil, nil
		}
		v.lastKIDPull = now
		// Detached: others may wait on it, and fetchTimeout bounds it.
		return nil, v.fetch(context.WithoutCancel(ctx), triggerUnknownKID)
	})
	select {
	case <-ctx.Done():
	case <-ch:
	}
	return v.keys.Load()
}
