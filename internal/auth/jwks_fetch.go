package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Labels of vaultgate_jwks_fetches_total.
const (
	triggerStartup    = "startup"
	triggerRefresh    = "refresh"
	triggerUnknownKID = "unknown_kid"
	resultOK          = "ok"
	resultError       = "error"
)

const (
	// fetchTimeout bounds one GET of the JWKS or discovery document.
	fetchTimeout = 5 * time.Second
	// maxFetchBody caps what is read of the JWKS or discovery document.
	maxFetchBody = 1 << 20
	// startupRetryDelay is the first pause before retrying a failed fetch;
	// it doubles up to the refresh interval.
	startupRetryDelay = 2 * time.Second
	oidcDiscoveryPath = "/.well-known/openid-configuration"
)

var (
	errFetchTooLarge      = errors.New("body larger than 1 MiB")
	errKIDPullTooSoon     = errors.New("jwks: unknown-kid refetch suppressed, one ran recently")
	errOIDCNotJSON        = errors.New("oidc discovery: document is not a JSON object")
	errOIDCBadJWKSURI     = errors.New("oidc discovery: jwks_uri is not an absolute http(s) URL")
	errOIDCIssuerMismatch = errors.New("oidc discovery: document's issuer differs from the configured issuer")
)

// fetch loads the key set (discovering the JWKS URL first in OIDC mode) and
// swaps it in. On failure the known keys stay. Fetches are serialised so a
// slow older answer cannot replace a newer one.
func (v *JWT) fetch(ctx context.Context, trigger string) error {
	v.fetchMu.Lock()
	defer v.fetchMu.Unlock()
	set, skipped, err := v.fetchKeys(ctx)
	if err != nil {
		v.fetches.WithLabelValues(trigger, resultError).Inc()
		v.log.Warn().Err(err).Str("trigger", trigger).Bool("keys_loaded", v.keys.Load() != nil).
			Msg("jwks fetch failed")
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

func (v *JWT) fetchKeys(ctx context.Context) (*keySet, int, error) {
	uri, err := v.resolveJWKSURL(ctx)
	if err != nil {
		return nil, 0, err
	}
	body, err := v.get(ctx, uri)
	if err != nil {
		return nil, 0, fmt.Errorf("jwks: %w", err)
	}
	return parseJWKS(body)
}

// get fetches a small JSON document.
func (v *JWT) get(ctx context.Context, uri string) ([]byte, error) {
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
	if resp.StatusCode != http.StatusOK {
		// Drain a little so the connection can be reused.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		return nil, fmt.Errorf("GET %s: status %d", uri, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxFetchBody+1))
	if err != nil {
		return nil, fmt.Errorf("GET %s: reading body: %w", uri, err)
	}
	if len(body) > maxFetchBody {
		return nil, fmt.Errorf("GET %s: %w", uri, errFetchTooLarge)
	}
	return body, nil
}

// refreshLoop refetches every RefreshInterval until ctx is done. After a
// failure it retries sooner, from startupRetryDelay doubling up to
// RefreshInterval, so a JWKS that was down at start is picked up within
// seconds. Retries before the first success count as "startup" fetches.
func (v *JWT) refreshLoop(ctx context.Context, ok bool) {
	backoff := min(startupRetryDelay, v.cfg.RefreshInterval)
	for {
		wait := v.cfg.RefreshInterval
		if ok {
			backoff = min(startupRetryDelay, v.cfg.RefreshInterval)
		} else {
			wait = backoff
			backoff = min(2*backoff, v.cfg.RefreshInterval)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		trigger := triggerRefresh
		if v.keys.Load() == nil {
			trigger = triggerStartup
		}
		ok = v.fetch(ctx, trigger) == nil
	}
}

// refetchForUnknownKey refetches the JWKS because a token names a key we do
// not hold (a rotation), unless such a refetch started within the last
// UnknownKIDInterval: made-up kids must not become a flood of JWKS requests.
// Callers arriving while one is in flight wait for it rather than starting
// another. It returns the key set as it stands afterwards (nil if never
// loaded). Periodic and start-up fetches do not touch the throttle.
func (v *JWT) refetchForUnknownKey(ctx context.Context) *keySet {
	ch := v.kidFlight.DoChan("jwks", func() (any, error) {
		v.kidMu.Lock()
		now := time.Now()
		if !v.lastKIDPull.IsZero() && now.Sub(v.lastKIDPull) < v.cfg.UnknownKIDInterval {
			v.kidMu.Unlock()
			return nil, errKIDPullTooSoon
		}
		v.lastKIDPull = now
		v.kidMu.Unlock()
		// Detached from the caller: others may be waiting on this fetch,
		// and it is bounded by fetchTimeout anyway.
		return nil, v.fetch(context.WithoutCancel(ctx), triggerUnknownKID)
	})
	select {
	case <-ctx.Done():
	case <-ch:
	}
	return v.keys.Load()
}

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
	body, err := v.get(ctx, strings.TrimRight(v.cfg.OIDCIssuer, "/")+oidcDiscoveryPath)
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
		// The document's issuer is remote text: bounded before it is logged.
		if len(doc.Issuer) > 200 {
			doc.Issuer = doc.Issuer[:200] + "…"
		}
		return "", fmt.Errorf("%w: configured %q, document says %q", errOIDCIssuerMismatch, v.cfg.OIDCIssuer, doc.Issuer)
	}
	u, err := url.Parse(doc.JWKSURI)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", errOIDCBadJWKSURI
	}
	return u.String(), nil
}
