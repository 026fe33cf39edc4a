package auth

import (
	"context"
	"errors"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

var (
	errMalformedToken = errors.New("token is not a compact JWS signed with an allowed algorithm")
	errUnknownKey     = errors.New("no known key matches the token's kid and alg")
	errBadSignature   = errors.New("signature does not verify")
	errKeysNotLoaded  = errors.New("jwks has not been loaded")
)

// Verify checks a compact JWT and returns the identity it carries. It is the
// core of Authenticate, exposed for benchmarks and fuzzing.
//
// Failures are *Error values: ReasonExpired for an expired token, ReasonInvalid
// for every other bad token, and ErrUnavailable when no keys have ever been
// loaded and a fetch does not bring any. Identity.Claims holds every claim;
// JSON numbers in it are json.Number (integers survive exactly), objects are
// map[string]any and arrays []any. Error causes never contain the token,
// a claim value or key material.
func (v *JWT) Verify(ctx context.Context, token string) (Identity, error) {
	id, _, err := v.verify(ctx, token)
	return id, err
}

// verified is what a successful verification learnt beyond the identity:
// enough to decide how long the result may be remembered.
type verified struct {
	expiry time.Time // the token's exp
	keys   *keySet   // the key set that verified it; nil with an HMAC secret
}

// verify is Verify, also reporting the token's expiry and verifying keys.
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
	claims, reg, err := decodeClaims(payload)
	if err != nil {
		return Identity{}, verified{}, unauthenticated(ReasonInvalid, err)
	}
	err = reg.ValidateWithLeeway(jwt.Expected{
		Issuer:      v.cfg.Issuer,
		AnyAudience: jwt.Audience{v.cfg.Audience},
		Time:        v.now(),
	}, v.cfg.ClockSkew)
	switch {
	case errors.Is(err, jwt.ErrExpired):
		return Identity{}, verified{}, unauthenticated(ReasonExpired, err)
	case err != nil:
		// go-jose's validation errors are fixed strings without claim values.
		return Identity{}, verified{}, unauthenticated(ReasonInvalid, err)
	}
	// decodeClaims made exp mandatory, so reg.Expiry is set.
	return Identity{Subject: reg.Subject, Claims: claims}, verified{expiry: reg.Expiry.Time(), keys: keys}, nil
}

// verifiedPayload finds the keys that fit the token's alg and kid —
// refetching the JWKS once for a kid we do not know — and returns the
// payload of the first one whose signature verifies, with the key set it
// came from (nil with an HMAC secret).
func (v *JWT) verifiedPayload(ctx context.Context, tok *jose.JSONWebSignature, alg jose.SignatureAlgorithm, kid string) ([]byte, *keySet, error) {
	var candidates []any
	var set *keySet
	if v.hmacKey != nil {
		if keyFits(alg, "", v.hmacKey) {
			candidates = []any{v.hmacKey}
		}
		if len(candidates) == 0 {
			return nil, nil, unauthenticated(ReasonInvalid, errUnknownKey)
		}
	} else {
		set = v.keys.Load()
		candidates = set.candidates(alg, kid)
		if len(candidates) == 0 {
			set = v.refetchForUnknownKey(ctx)
			if set == nil {
				return nil, nil, unavailable(errKeysNotLoaded)
			}
			candidates = set.candidates(alg, kid)
		}
		if len(candidates) == 0 {
			return nil, nil, unauthenticated(ReasonInvalid, errUnknownKey)
		}
	}
	for _, key := range candidates {
		// Verify returns exactly the bytes whose signature it checked;
		// decodeClaims does the one real parse of them.
		if payload, err := tok.Verify(key); err == nil {
			return payload, set, nil
		}
	}
	return nil, nil, unauthenticated(ReasonInvalid, errBadSignature)
}
