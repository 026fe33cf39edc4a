package auth

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"golang.org/x/sync/singleflight"
)

// JWTConfig configures JWT verification. Exactly one of JWKSURL, OIDCIssuer
// and HS256Secret is set.
type JWTConfig struct {
	JWKSURL     string
	OIDCIssuer  string // discovery document at OIDCIssuer + "/.well-known/openid-configuration"
	HS256Secret []byte
	Issuer      string
	Audience    string
	Algorithms  []string // allow-list, names from Algorithms()
	ClockSkew   time.Duration
	CookieName  string // also read the token from this cookie when there is no Authorization header
	// RefreshInterval is how often the JWKS is refetched in the background.
	RefreshInterval time.Duration
	// UnknownKIDInterval is the minimum time between refetches triggered by
	// an unknown kid.
	UnknownKIDInterval time.Duration
}

// JWT authenticates requests carrying a signed JWT, verified with an HS256
// secret or with keys from a JWKS (directly or via OIDC discovery). It is
// safe for concurrent use.
type JWT struct {
	cfg     JWTConfig
	algs    []jose.SignatureAlgorithm
	client  *http.Client
	fetches *prometheus.CounterVec // vaultgate_jwks_fetches_total
	log     zerolog.Logger

	keys    atomic.Pointer[keySet] // nil until the first successful fetch
	jwksURL atomic.Pointer[string] // from config, or from OIDC discovery once it succeeded

	fetchMu     sync.Mutex // serialises fetches so an older answer never overwrites a newer one
	kidMu       sync.Mutex
	lastKIDPull time.Time // start of the last fetch triggered by an unknown kid
	kidFlight   singleflight.Group

	verified *verifiedCache // tokens that verified recently; used by Authenticate
}

// NewJWT builds a verifier from cfg and registers its metric on reg. With a
// JWKS or OIDC key source it fetches the keys before returning and then
// refreshes them in a background goroutine that stops when ctx is done. A
// failed start-up fetch is not an error: the verifier is returned not Ready,
// requests get ErrUnavailable, and the goroutine retries with backoff.
func NewJWT(ctx context.Context, cfg JWTConfig, reg prometheus.Registerer, log zerolog.Logger) (*JWT, error) {
	v, err := newJWT(cfg, reg, log)
	if err != nil {
		return nil, err
	}
	v.start(ctx)
	return v, nil
}

// newJWT builds an idle verifier; start begins fetching.
func newJWT(cfg JWTConfig, reg prometheus.Registerer, log zerolog.Logger) (*JWT, error) {
	fetches := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "vaultgate_jwks_fetches_total",
		Help: "JWKS fetches, by trigger and result.",
	}, []string{"trigger", "result"})
	if err := reg.Register(fetches); err != nil {
		return nil, err
	}
	algs := make([]jose.SignatureAlgorithm, len(cfg.Algorithms))
	for i, a := range cfg.Algorithms {
		algs[i] = jose.SignatureAlgorithm(a)
	}
	v := &JWT{
		cfg:  cfg,
		algs: algs,
		// The identity provider is not Apideck: key fetches get their own client.
		client:   &http.Client{Timeout: fetchTimeout, CheckRedirect: noRedirects},
		fetches:  fetches,
		log:      log.With().Str("component", "jwt").Logger(),
		verified: newVerifiedCache(),
	}
	if cfg.JWKSURL != "" {
		v.jwksURL.Store(&cfg.JWKSURL)
	}
	return v, nil
}

// start fetches the keys once and starts the refresh goroutine. With an
// HMAC secret there is nothing to fetch.
func (v *JWT) start(ctx context.Context) {
	if v.cfg.HS256Secret != nil {
		return
	}
	err := v.fetch(ctx, triggerStartup)
	go v.refreshLoop(ctx, err == nil)
}

// Ready reports whether tokens can be verified: keys are loaded (always
// true with an HS256 secret).
func (v *JWT) Ready() bool {
	return v.cfg.HS256Secret != nil || v.keys.Load() != nil
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
// Authorization header, cookie present). The browser guards use it.
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
	errMalformedToken  = errors.New("token is not a compact JWS signed with an allowed algorithm")
	errUnknownKey      = errors.New("no known key matches the token's kid and alg")
	errBadSignature    = errors.New("signature does not verify")
	errKeysNotLoaded   = errors.New("jwks has not been loaded")
	errClaimTypes      = errors.New("a registered claim has the wrong type")
	errMissingExp      = errors.New("exp claim is missing")
	errMissingSub      = errors.New("sub claim is missing or empty")
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

// verified is what a successful verification learnt beyond the identity:
// enough to decide how long the result may be remembered.
type verified struct {
	expiry time.Time // the token's exp
	keys   *keySet   // the key set that verified it; nil with an HMAC secret
}

// verify checks a compact JWT and returns the identity it carries.
// Failures are *Error values: ReasonExpired for an expired token,
// ReasonInvalid for every other bad token, and ErrUnavailable when no keys
// have ever been loaded and a fetch does not bring any. Error causes never
// contain the token, a claim value or key material.
func (v *JWT) verify(ctx context.Context, token string) (Identity, verified, error) {
	// The compact JWS parser, as jwt.ParseSigned uses; the JWS itself then
	// hands back the verified payload, with no second decoding of it.
	tok, err := jose.ParseSignedCompact(token, v.algs)
	if err != nil || len(tok.Signatures) != 1 {
		return Identity{}, verified{}, unauthenticated(ReasonInvalid, errMalformedToken)
	}
	h := tok.Signatures[0].Header
	payload, keys, err := v.verifiedPayload(ctx, tok, jose.SignatureAlgorithm(h.Algorithm), h.KeyID)
	if err != nil {
		return Identity{}, verified{}, err
	}
	claims, err := decodeObject(payload)
	if err != nil {
		return Identity{}, verified{}, unauthenticated(ReasonInvalid, err)
	}
	reg, err := registeredClaims(claims)
	if err != nil {
		return Identity{}, verified{}, unauthenticated(ReasonInvalid, err)
	}
	err = reg.ValidateWithLeeway(jwt.Expected{Issuer: v.cfg.Issuer, AnyAudience: jwt.Audience{v.cfg.Audience}}, v.cfg.ClockSkew)
	switch {
	case errors.Is(err, jwt.ErrExpired):
		return Identity{}, verified{}, unauthenticated(ReasonExpired, err)
	case err != nil:
		// go-jose's validation errors are fixed strings without claim values.
		return Identity{}, verified{}, unauthenticated(ReasonInvalid, err)
	}
	return Identity{Subject: reg.Subject, Claims: claims}, verified{expiry: reg.Expiry.Time(), keys: keys}, nil
}

// verifiedPayload finds the keys that fit the token's alg and kid —
// refetching the JWKS once for a kid we do not know — and returns the
// payload of the first one whose signature verifies, with the key set it
// came from (nil with an HMAC secret).
func (v *JWT) verifiedPayload(ctx context.Context, tok *jose.JSONWebSignature, alg jose.SignatureAlgorithm, kid string) ([]byte, *keySet, error) {
	var candidates []any
	var set *keySet
	if v.cfg.HS256Secret != nil {
		if keyFits(alg, "", v.cfg.HS256Secret) {
			candidates = []any{v.cfg.HS256Secret}
		}
	} else {
		set = v.keys.Load()
		candidates = set.candidates(alg, kid)
		if len(candidates) == 0 {
			if set = v.refetchForUnknownKey(ctx); set == nil {
				return nil, nil, unavailable(errKeysNotLoaded)
			}
			candidates = set.candidates(alg, kid)
		}
	}
	if len(candidates) == 0 {
		return nil, nil, unauthenticated(ReasonInvalid, errUnknownKey)
	}
	for _, key := range candidates {
		if payload, err := tok.Verify(key); err == nil {
			return payload, set, nil
		}
	}
	return nil, nil, unauthenticated(ReasonInvalid, errBadSignature)
}

// registeredClaims reads iss, sub, aud, exp, nbf and iat from the decoded
// claims themselves, so what is validated and what the mapping uses cannot
// disagree: decoding the payload into jwt.Claims directly would also match
// keys case-insensitively ("EXP" for exp). exp and a non-empty sub are
// required; a registered claim that is null counts as the wrong type.
func registeredClaims(claims map[string]any) (jwt.Claims, error) {
	reg := make(map[string]any, 6)
	for _, name := range []string{"iss", "sub", "aud", "exp", "nbf", "iat"} {
		if v, ok := claims[name]; ok {
			if v == nil {
				return jwt.Claims{}, errClaimTypes
			}
			reg[name] = v
		}
	}
	var c jwt.Claims
	// go-jose's NumericDate refuses values so large they would wrap around
	// in time arithmetic. Its errors are not passed on: they may quote values.
	if b, err := json.Marshal(reg); err != nil || json.Unmarshal(b, &c) != nil {
		return jwt.Claims{}, errClaimTypes
	}
	if c.Expiry == nil {
		return jwt.Claims{}, errMissingExp
	}
	if c.Subject == "" {
		return jwt.Claims{}, errMissingSub
	}
	return c, nil
}
