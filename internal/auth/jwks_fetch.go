package auth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
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
	// fetchTimeout bounds one GET of the JWKS or discovery document, on top
	// of whatever the caller's client enforces.
	fetchTimeout = 5 * time.Second
	// maxFetchBody caps what is read of the JWKS or discovery document.
	maxFetchBody = 1 << 20
)

var (
	errFetchTooLarge  = errors.New("body larger than 1 MiB")
	errKIDPullTooSoon = errors.New("jwks: unknown-kid refetch suppressed, one ran recently")
)

// fetch loads the key set (discovering the JWKS URL first in OIDC mode) and
// swaps it in. On failure the known keys stay. Fetches are serialised so a
// slow older answer cannot replace a newer one.
func (v *JWT) fetch(ctx context.Context, trigger string) error {
	v.fetchMu.Lock()
	defer v.fetchMu.Unlock()
	n, skipped, err := v.fetchLocked(ctx)
	result := resultOK
	if err != nil {
		result = resultError
	}
	if v.metrics != nil {
		v.metrics.JWKSFetches.WithLabelValues(trigger, result).Inc()
	}
	if err != nil {
		v.log.Warn().Err(err).Str("trigger", trigger).Bool("keys_loaded", v.keys.Load() != nil).
			Msg("jwks fetch failed")
		return err
	}
	v.log.Debug().Str("trigger", trigger).Int("keys", n).Int("skipped_keys", skipped).Msg("jwks loaded")
	if skipped > 0 {
		v.log.Warn().Int("skipped_keys", skipped).Msg("jwks holds keys that cannot verify signatures; ignored")
	}
	return nil
}

func (v *JWT) fetchLocked(ctx context.Context) (keys, skipped int, err error) {
	uri, err := v.resolveJWKSURL(ctx)
	if err != nil {
		return 0, 0, err
	}
	body, err := v.get(ctx, uri)
	if err != nil {
		return 0, 0, fmt.Errorf("jwks: %w", err)
	}
	set, skipped, err := parseJWKS(body)
	if err != nil {
		return 0, skipped, err
	}
	v.keys.Store(set)
	return set.size(), skipped, nil
}

// get fetches a small JSON document with the configured client.
func (v *JWT) get(ctx context.Context, uri string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
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
// failure it retries sooner, from retryBase doubling up to RefreshInterval,
// so a JWKS that was down at start is picked up within seconds. Retries
// before the first success count as "startup" fetches.
func (v *JWT) refreshLoop(ctx context.Context, ok bool) {
	backoff := min(v.retryBase, v.cfg.RefreshInterval)
	for {
		wait := v.cfg.RefreshInterval
		if ok {
			backoff = min(v.retryBase, v.cfg.RefreshInterval)
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
		now := v.now()
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
