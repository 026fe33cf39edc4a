package auth

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"
	"github.com/golang-jwt/jwt/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"golang.org/x/sync/singleflight"
)

// JWTConfig configures JWT verification; one of JWKSURL, OIDCIssuer, HS256Secret is set.
type JWTConfig struct {
	JWKSURL            string
	OIDCIssuer         string // discovery document at OIDCIssuer + "/.well-known/openid-configuration"
	HS256Secret        []byte
	Issuer, Audience   string
	Algorithms         []string // allow-list, names from Algorithms()
	ClockSkew          time.Duration
	CookieName         string        // also read the token from this cookie when there is no Authorization header
	RefreshInterval    time.Duration // how often the JWKS is refetched in the background
	UnknownKIDInterval time.Duration // minimum time between refetches for an unknown kid
}

// JWT authenticates requests carrying a JWT signed with an HS256 secret or a
// key from a JWKS (directly or via OIDC discovery). Safe for concurrent use.
type JWT struct {
	cfg         JWTConfig
	parser      *jwt.Parser
	client      *http.Client
	fetches     *prometheus.CounterVec // vaultgate_jwks_fetches_total
	log         zerolog.Logger
	keys        atomic.Pointer[keySet] // nil until the first successful fetch
	fetchMu     sync.Mutex             // serialises fetches so an older answer never overwrites a newer one
	jwksURL     string                 // guarded by fetchMu; from config, or from OIDC discovery
	kidFlight   singleflight.Group
	lastKIDPull time.Time // start of the last fetch for an unknown kid; used only inside kidFlight
	verified    verifiedCache
	// Issuer and audience mismatches are the commonest misconfiguration:
	// each is logged at info, at most once a minute (a flood stays quiet).
	issuerLog, audienceLog zerolog.Logger
}

// NewJWT builds a verifier and registers its metric on reg. With a JWKS it
// fetches the keys before returning, then refreshes them until ctx is done;
// if that fails it is not Ready, requests get ErrUnavailable, and it retries.
func NewJWT(ctx context.Context, cfg JWTConfig, reg prometheus.Registerer, log zerolog.Logger) (*JWT, error) {
	v, err := newJWT(cfg, reg, log)
	if err == nil {
		v.start(ctx)
	}
	return v, err
}

func newJWT(cfg JWTConfig, reg prometheus.Registerer, log zerolog.Logger) (*JWT, error) {
	fetches := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "vaultgate_jwks_fetches_total",
		Help: "JWKS fetches, by trigger and result.",
	}, []string{"trigger", "result"})
	if err := reg.Register(fetches); err != nil {
		return nil, err
	}
	log = log.With().Str("component", "jwt").Logger()
	return &JWT{
		cfg: cfg,
		// The allow-list is never nil: golang-jwt would then allow every alg.
		// Claims are validated by verify, with its own rules and reasons.
		parser: jwt.NewParser(jwt.WithValidMethods(append([]string{}, cfg.Algorithms...)),
			jwt.WithJSONNumber(), jwt.WithoutClaimsValidation()),
		client:      &http.Client{Timeout: fetchTimeout, CheckRedirect: noRedirects},
		fetches:     fetches,
		log:         log,
		jwksURL:     cfg.JWKSURL,
		issuerLog:   log.Sample(&zerolog.BurstSampler{Burst: 1, Period: time.Minute}),
		audienceLog: log.Sample(&zerolog.BurstSampler{Burst: 1, Period: time.Minute}),
	}, nil
}

// start fetches the keys and keeps them fresh (nothing to do with a secret).
func (v *JWT) start(ctx context.Context) {
	if v.cfg.HS256Secret == nil {
		ok := v.fetch(ctx, triggerStartup) == nil
		go v.refreshLoop(ctx, ok)
	}
}

// Ready reports whether tokens can be verified: a secret, or keys loaded.
func (v *JWT) Ready() bool { return v.cfg.HS256Secret != nil || v.keys.Load() != nil }

// Authenticate verifies `Authorization: Bearer <t>`, else the CookieName
// cookie. A present Authorization header wins even when malformed: a bad one
// never falls back to an ambient cookie. Recently verified tokens are cached.
func (v *JWT) Authenticate(r *http.Request) (Identity, error) {
	token, err := v.tokenFrom(r)
	if err != nil {
		return Identity{}, err
	}
	sum, now := sha256.Sum256([]byte(token)), time.Now()
	if id, ok := v.verified.get(sum, now, v.keys.Load()); ok {
		return id, nil
	}
	ver, err := v.verify(r.Context(), token)
	if err != nil {
		return Identity{}, err
	}
	v.verified.put(sum, len(token), ver, now)
	return ver.id, nil
}

// Ambient reports whether the token would come from the cookie, which browsers attach.
func (v *JWT) Ambient(r *http.Request) bool {
	_, err := r.Cookie(v.cfg.CookieName)
	return v.cfg.CookieName != "" && len(r.Header.Values("Authorization")) == 0 && err == nil
}

func (v *JWT) tokenFrom(r *http.Request) (string, error) {
	if values := r.Header.Values("Authorization"); len(values) > 0 {
		scheme, token, ok := strings.Cut(strings.TrimSpace(values[0]), " ")
		token = strings.TrimSpace(token)
		if bearer := strings.EqualFold(scheme, "Bearer"); len(values) > 1 || !ok || !bearer || token == "" || strings.ContainsAny(token, " \t") {
			// Another scheme (Basic) presents no bearer token to call invalid.
			return "", &Error{Class: ErrUnauthenticated, Reason: ReasonMalformed, Token: bearer,
				Err: errors.New("authorization header is not a single Bearer token")}
		}
		return token, nil
	}
	if v.cfg.CookieName != "" && len(r.CookiesNamed(v.cfg.CookieName)) > 1 {
		// A sibling subdomain can plant a second one (cookie tossing).
		return "", unauthenticated(ReasonInvalid, errors.New("more than one token cookie"))
	}
	if c, err := r.Cookie(v.cfg.CookieName); v.cfg.CookieName != "" && err == nil && c.Value != "" {
		return c.Value, nil
	}
	return "", unauthenticated(ReasonMissing, errors.New("no bearer token or cookie"))
}

// verified is a token's identity and what limits how long it may be cached.
type verified struct {
	id     Identity
	expiry time.Time // the token's exp
	keys   *keySet   // the key set that verified it; nil with an HMAC secret
}

// verify checks a compact JWT: a refusal with its precise reason, or
// ErrUnavailable without keys. Errors never hold the token, a claim value or
// a key.
func (v *JWT) verify(ctx context.Context, token string) (verified, error) {
	var set *keySet
	claims := jwt.MapClaims{}
	tok, err := v.parser.ParseWithClaims(token, claims, func(tok *jwt.Token) (_ any, err error) {
		var keys []jwt.VerificationKey
		keys, set, err = v.candidateKeys(ctx, tok)
		return jwt.VerificationKeySet{Keys: keys}, err
	})
	if err != nil {
		return verified{}, v.refusal(tok, err)
	}
	reg, err := registeredClaims(token, claims)
	if err != nil {
		return verified{}, refused(ReasonMalformed, err)
	}
	// go-jose's validation errors are fixed strings without claim values.
	switch err := reg.ValidateWithLeeway(josejwt.Expected{Issuer: v.cfg.Issuer, AnyAudience: josejwt.Audience{v.cfg.Audience}}, v.cfg.ClockSkew); {
	case errors.Is(err, josejwt.ErrExpired):
		return verified{}, refused(ReasonExpired, err)
	case errors.Is(err, josejwt.ErrNotValidYet), errors.Is(err, josejwt.ErrIssuedInTheFuture):
		return verified{}, refused(ReasonNotYetValid, err)
	case errors.Is(err, josejwt.ErrInvalidIssuer):
		// Claim values of a token our keys signed, never the token; bounded.
		v.issuerLog.Info().Str("expected_issuer", v.cfg.Issuer).Str("token_issuer", bounded(reg.Issuer)).
			Msg("token refused: its iss is not AUTH_ISSUER")
		return verified{}, refused(ReasonIssuer, err)
	case errors.Is(err, josejwt.ErrInvalidAudience):
		v.audienceLog.Info().Str("expected_audience", v.cfg.Audience).Strs("token_audience", boundedList(reg.Audience)).
			Msg("token refused: its aud does not name AUTH_AUDIENCE")
		return verified{}, refused(ReasonAudience, err)
	case err != nil:
		return verified{}, refused(ReasonInvalid, err)
	}
	return verified{id: Identity{Subject: reg.Subject, Claims: claims, Expires: reg.Expiry.Time()}, expiry: reg.Expiry.Time(), keys: set}, nil
}

// candidateKeys returns the keys that fit the token's alg and kid
// (refetching the JWKS for an unknown kid), and the key set they come from.
func (v *JWT) candidateKeys(ctx context.Context, tok *jwt.Token) ([]jwt.VerificationKey, *keySet, error) {
	// RFC 7515 §4.1.11: crit names extensions a recipient must understand;
	// we understand none (b64: false included), so such a token never verifies.
	if _, crit := tok.Header["crit"]; crit {
		return nil, nil, refused(ReasonSignature, errors.New("token's header has crit: no JWS extension is understood"))
	}
	kid, isStr := tok.Header["kid"].(string)
	if _, present := tok.Header["kid"]; present && !isStr {
		return nil, nil, refused(ReasonMalformed, errors.New("token's kid is not a string"))
	}
	alg := jose.SignatureAlgorithm(tok.Method.Alg()) // in the allow-list: the parser checked
	var candidates []jwt.VerificationKey
	var set *keySet
	if v.cfg.HS256Secret != nil {
		if keyFits(alg, "", v.cfg.HS256Secret) {
			candidates = []jwt.VerificationKey{v.cfg.HS256Secret}
		}
	} else {
		set = v.keys.Load()
		if candidates = set.candidates(alg, kid); len(candidates) == 0 {
			if set = v.refetchForUnknownKey(ctx); set == nil {
				return nil, nil, unavailable(errors.New("jwks has not been loaded"))
			}
			candidates = set.candidates(alg, kid)
		}
	}
	if len(candidates) == 0 {
		return nil, nil, refused(ReasonSignature, errors.New("no known key matches the token's kid and alg"))
	}
	return candidates, set, nil
}

// refusal is the reason for golang-jwt's err; its text is not kept, as some
// of it quotes JSON errors about the token.
func (v *JWT) refusal(tok *jwt.Token, err error) error {
	if ae, ok := errors.AsType[*Error](err); ok {
		return ae // from candidateKeys
	}
	if tok != nil {
		if alg, _ := tok.Header["alg"].(string); alg != "" && !slices.Contains(v.cfg.Algorithms, alg) {
			return refused(ReasonAlgorithm, errors.New("token's alg is not in AUTH_ALGORITHMS"))
		}
	}
	if errors.Is(err, jwt.ErrTokenSignatureInvalid) {
		return refused(ReasonSignature, errors.New("signature does not verify"))
	}
	return refused(ReasonMalformed, errors.New("token is not a compact JWS of JSON objects"))
}

// registeredClaims reads the registered claims from the map the mapping
// uses, so they cannot disagree (josejwt.Claims would take "EXP" for exp).
// exp and sub are required; a registered claim of another JSON type (null
// too) is an error.
func registeredClaims(token string, claims map[string]any) (josejwt.Claims, error) {
	// golang-jwt decodes the payload's first JSON value and ignores the rest.
	_, rest, _ := strings.Cut(token, ".")
	payload, _, _ := strings.Cut(rest, ".")
	if raw, err := base64.RawURLEncoding.DecodeString(payload); err != nil || !json.Valid(raw) {
		return josejwt.Claims{}, errors.New("not a single JSON object")
	}
	ok := true
	str := func(name string) string {
		v, present := claims[name]
		s, isStr := v.(string)
		ok = ok && (isStr || !present)
		return s
	}
	// go-jose's NumericDate refuses values that would wrap in time arithmetic.
	date := func(name string) *josejwt.NumericDate {
		v, present := claims[name]
		if !present {
			return nil
		}
		n, isNum := v.(json.Number)
		d := new(josejwt.NumericDate)
		ok = ok && isNum && d.UnmarshalJSON([]byte(n)) == nil
		return d
	}
	c := josejwt.Claims{Issuer: str("iss"), Subject: str("sub"), Expiry: date("exp"), NotBefore: date("nbf"), IssuedAt: date("iat")}
	switch aud := claims["aud"].(type) {
	case string:
		c.Audience = josejwt.Audience{aud}
	case []any: // RFC 7519 §4.1.3: a string or an array of strings
		c.Audience = make(josejwt.Audience, len(aud))
		for i, a := range aud {
			s, isStr := a.(string)
			c.Audience[i], ok = s, ok && isStr
		}
	default:
		_, present := claims["aud"]
		ok = ok && !present
	}
	switch {
	case !ok:
		return josejwt.Claims{}, errors.New("a registered claim has the wrong type")
	case c.Expiry == nil:
		return josejwt.Claims{}, errors.New("exp claim is missing")
	case c.Subject == "":
		return josejwt.Claims{}, errors.New("sub claim is missing or empty")
	}
	return c, nil
}

// Claim values logged are cut short: they come from a signed token, but
// whoever holds a trusted key chooses them.
const (
	maxLoggedClaim  = 200
	maxLoggedValues = 5
)

func bounded(s string) string {
	if len(s) > maxLoggedClaim {
		return s[:maxLoggedClaim] + "…"
	}
	return s
}

func boundedList(list []string) []string {
	out := make([]string, 0, min(len(list), maxLoggedValues))
	for _, s := range list[:min(len(list), maxLoggedValues)] {
		out = append(out, bounded(s))
	}
	return out
}
