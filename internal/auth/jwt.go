package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/rs/zerolog"
	"golang.org/x/sync/singleflight"

	"github.com/vaultgate/vaultgate/internal/metrics"
)

// Defaults for the JWKS timing knobs left zero in JWTConfig.
const (
	DefaultJWKSRefreshInterval    = 5 * time.Minute
	DefaultJWKSUnknownKIDInterval = 30 * time.Second
	// startupRetryDelay is the first pause before retrying a failed fetch;
	// it doubles up to the refresh interval.
	startupRetryDelay = 2 * time.Second
	// defaultJWKSClientTimeout bounds a fetch when the caller passes no client.
	defaultJWKSClientTimeout = 10 * time.Second
)

// JWT authenticates requests carrying a signed JWT (SPEC §4a jwt), verified
// with an HS256 secret or with keys from a JWKS (directly or via OIDC
// discovery). It is safe for concurrent use.
type JWT struct {
	cfg     JWTConfig
	algs    []jose.SignatureAlgorithm
	hmacKey []byte // set only with an HS256 secret; then no JWKS is used
	client  *http.Client
	metrics *metrics.Metrics
	log     zerolog.Logger

	now       func() time.Time
	retryBase time.Duration

	keys    atomic.Pointer[keySet] // nil until the first successful fetch
	jwksURL atomic.Pointer[string] // from config, or from OIDC discovery once it succeeded

	fetchMu     sync.Mutex // serialises fetches so an older answer never overwrites a newer one
	kidMu       sync.Mutex
	lastKIDPull time.Time // start of the last fetch triggered by an unknown kid
	kidFlight   singleflight.Group

	verified *verifiedCache // tokens that verified recently; used by Authenticate
}

// NewJWT builds a verifier from cfg. With a JWKS or OIDC key source it
// fetches the keys before returning and then refreshes them in a background
// goroutine that stops when ctx is done. A failed start-up fetch is not an
// error: the verifier is returned not Ready, requests get ErrUnavailable, and
// the background goroutine retries with backoff until keys arrive. Errors are
// returned only for an unusable cfg. client's timeouts apply to every fetch;
// nil means a private client with a 10 s timeout. m may be nil.
func NewJWT(ctx context.Context, cfg JWTConfig, client *http.Client, m *metrics.Metrics, log zerolog.Logger) (*JWT, error) {
	v, err := newJWT(cfg, client, m, log)
	if err != nil {
		return nil, err
	}
	v.start(ctx)
	return v, nil
}

// newJWT validates cfg and builds an idle verifier; start begins fetching.
func newJWT(cfg JWTConfig, client *http.Client, m *metrics.Metrics, log zerolog.Logger) (*JWT, error) {
	var problems []error
	sources := 0
	for _, set := range []bool{cfg.JWKSURL != "", cfg.OIDCIssuer != "", cfg.HS256Secret != ""} {
		if set {
			sources++
		}
	}
	if sources != 1 {
		problems = append(problems, errors.New("exactly one of JWKS URL, OIDC issuer and HS256 secret must be set"))
	}
	if cfg.Issuer == "" {
		problems = append(problems, errors.New("issuer is required"))
	}
	if cfg.Audience == "" {
		problems = append(problems, errors.New("audience is required"))
	}
	algs, err := parseAlgorithms(cfg.Algorithms)
	if err != nil {
		problems = append(problems, err)
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("jwt auth: %w", errors.Join(problems...))
	}
	if cfg.RefreshInterval <= 0 {
		cfg.RefreshInterval = DefaultJWKSRefreshInterval
	}
	if cfg.UnknownKIDInterval <= 0 {
		cfg.UnknownKIDInterval = DefaultJWKSUnknownKIDInterval
	}
	if cfg.ClockSkew < 0 {
		cfg.ClockSkew = 0
	}
	if client == nil {
		client = &http.Client{Timeout: defaultJWKSClientTimeout}
	}
	v := &JWT{
		cfg:       cfg,
		algs:      algs,
		client:    client,
		metrics:   m,
		log:       log.With().Str("component", "jwt").Logger(),
		now:       time.Now,
		retryBase: startupRetryDelay,
		verified:  newVerifiedCache(),
	}
	if cfg.HS256Secret != "" {
		v.hmacKey = []byte(cfg.HS256Secret)
	}
	if cfg.JWKSURL != "" {
		u := cfg.JWKSURL
		v.jwksURL.Store(&u)
	}
	return v, nil
}

// start fetches the keys once and starts the refresh goroutine. With an
// HMAC secret there is nothing to fetch.
func (v *JWT) start(ctx context.Context) {
	if v.hmacKey != nil {
		return
	}
	err := v.fetch(ctx, triggerStartup)
	go v.refreshLoop(ctx, err == nil)
}

// Ready reports whether tokens can be verified: keys are loaded (always
// true with an HS256 secret).
func (v *JWT) Ready() bool {
	return v.hmacKey != nil || v.keys.Load() != nil
}

// Authenticate verifies the request's token: `Authorization: Bearer <t>`
// (scheme case-insensitive), else the cookie named CookieName when set.
// An Authorization header that is present always wins, even when malformed,
// so a bad header never silently falls back to an ambient cookie.
func (v *JWT) Authenticate(r *http.Request) (Identity, error) {
	token, err := v.tokenFrom(r)
	if err != nil {
		return Identity{}, err
	}
	return v.verifyCached(r.Context(), token)
}

// Ambient reports whether the request's credential is one a browser attaches
// by itself: the token would come from the cookie (CookieName set, no
// Authorization header, cookie present). The browser guards of SPEC §4b use it.
func (v *JWT) Ambient(r *http.Request) bool {
	if v.cfg.CookieName == "" || len(r.Header.Values("Authorization")) > 0 {
		return false
	}
	_, err := r.Cookie(v.cfg.CookieName)
	return err == nil
}

var (
	errNoToken         = errors.New("no bearer token or cookie")
	errMalformedHeader = errors.New("authorization header is not a single Bearer token")
)

func (v *JWT) tokenFrom(r *http.Request) (string, error) {
	if values := r.Header.Values("Authorization"); len(values) > 0 {
		if len(values) > 1 {
			return "", unauthenticated(ReasonInvalid, errMalformedHeader)
		}
		scheme, token, ok := strings.Cut(strings.TrimSpace(values[0]), " ")
		token = strings.TrimSpace(token)
		if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" || strings.ContainsAny(token, " \t") {
			return "", unauthenticated(ReasonInvalid, errMalformedHeader)
		}
		return token, nil
	}
	if v.cfg.CookieName != "" {
		if c, err := r.Cookie(v.cfg.CookieName); err == nil && c.Value != "" {
			return c.Value, nil
		}
	}
	return "", unauthenticated(ReasonMissing, errNoToken)
}
