package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/vaultgate/vaultgate/internal/auth"
	"github.com/vaultgate/vaultgate/internal/config"
	"github.com/vaultgate/vaultgate/internal/upstream"
)

// probeConsumerID is the consumer -check -probe reads the connections of:
// a read creates nothing at Apideck, and the id says where it came from.
const probeConsumerID = "vaultgate-probe"

// probeTimeout bounds each outside check.
const probeTimeout = 10 * time.Second

// probe checks the outside world read-only, for -check -probe: that the
// signing keys can be fetched, and that Apideck accepts the API key and app
// id. It prints one line per check, never a secret, and fails when any
// check did.
func probe(ctx context.Context, cfg config.Config, stdout io.Writer) error {
	log := zerolog.Nop()
	var failed []string
	report := func(what string, err error, ok string) {
		if err != nil {
			failed = append(failed, what)
			fmt.Fprintf(stdout, "%s: FAILED: %v\n", what, err)
			return
		}
		fmt.Fprintf(stdout, "%s: ok, %s\n", what, ok)
	}

	switch {
	case cfg.AuthMode != config.ModeJWT:
		fmt.Fprintf(stdout, "keys: not probed in %s mode\n", cfg.AuthMode)
	case !cfg.HS256Secret.IsZero():
		fmt.Fprintln(stdout, "keys: not probed, tokens are checked with AUTH_HS256_SECRET")
	default:
		report("keys", probeKeys(ctx, cfg, log), "the JWKS was fetched and holds usable keys")
	}

	n, err := probeApideck(ctx, cfg, log)
	report("Apideck", err, fmt.Sprintf("the API key and app id were accepted (%d connectors listed)", n))
	if len(failed) > 0 {
		return fmt.Errorf("probe failed: %v", failed)
	}
	return nil
}

// probeKeys fetches the JWKS (through OIDC discovery when configured) the
// way the server does at start.
func probeKeys(ctx context.Context, cfg config.Config, log zerolog.Logger) error {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel() // also stops the verifier's refresh loop
	v, err := auth.NewJWT(ctx, cfg.JWT, prometheus.NewRegistry(), log)
	if err != nil {
		return err
	}
	if !v.Ready() {
		return errors.New("no usable signing keys could be fetched from " + keySource(cfg))
	}
	return nil
}

// keySource names where the keys come from, without a query.
func keySource(cfg config.Config) string {
	if cfg.JWT.OIDCIssuer != "" {
		return "AUTH_OIDC_ISSUER's discovery document"
	}
	return "AUTH_JWKS_URL"
}

// probeApideck lists the probe consumer's connections: a read with the
// same key, app id and client the server uses.
func probeApideck(ctx context.Context, cfg config.Config, log zerolog.Logger) (int, error) {
	uc := cfg.Upstream
	uc.APIKey = cfg.APIKey.Reveal()
	c, err := upstream.New(uc, prometheus.NewRegistry(), log)
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	conns, res, err := c.ListConnections(ctx, probeConsumerID, "")
	if ue, ok := errors.AsType[*upstream.Error](err); ok {
		switch ue.Kind {
		case upstream.KindAuth:
			return 0, fmt.Errorf("Apideck refused the API key or app id (HTTP %d)", res.Status)
		case upstream.KindPaymentRequired:
			return 0, errors.New("the key works, but the plan's request limit is used up (HTTP 402)")
		}
		return 0, fmt.Errorf("%s (HTTP %d)", ue.Kind, res.Status)
	}
	return len(conns), err
}
