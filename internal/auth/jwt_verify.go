package auth

import (
	"context"
	"encoding/json"
	"errors"

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
	tok, err := jwt.ParseSigned(token, v.algs)
	if err != nil || len(tok.Headers) != 1 {
		return Identity{}, unauthenticated(ReasonInvalid, errMalformedToken)
	}
	h := tok.Headers[0]
	payload, err := v.verifiedPayload(ctx, tok, jose.SignatureAlgorithm(h.Algorithm), h.KeyID)
	if err != nil {
		return Identity{}, err
	}
	claims, reg, err := decodeClaims(payload)
	if err != nil {
		return Identity{}, unauthenticated(ReasonInvalid, err)
	}
	err = reg.ValidateWithLeeway(jwt.Expected{
		Issuer:      v.cfg.Issuer,
		AnyAudience: jwt.Audience{v.cfg.Audience},
		Time:        v.now(),
	}, v.cfg.ClockSkew)
	switch {
	case errors.Is(err, jwt.ErrExpired):
		return Identity{}, unauthenticated(ReasonExpired, err)
	case err != nil:
		// go-jose's validation errors are fixed strings without claim values.
		return Identity{}, unauthenticated(ReasonInvalid, err)
	}
	return Identity{Subject: reg.Subject, Claims: claims}, nil
}

// verifiedPayload finds the keys that fit the token's alg and kid —
// refetching the JWKS once for a kid we do not know — and returns the
// payload of the first one whose signature verifies.
func (v *JWT) verifiedPayload(ctx context.Context, tok *jwt.JSONWebToken, alg jose.SignatureAlgorithm, kid string) ([]byte, error) {
	var candidates []any
	if v.hmacKey != nil {
		if keyFits(alg, "", v.hmacKey) {
			candidates = []any{v.hmacKey}
		}
		if len(candidates) == 0 {
			return nil, unauthenticated(ReasonInvalid, errUnknownKey)
		}
	} else {
		candidates = v.keys.Load().candidates(alg, kid)
		if len(candidates) == 0 {
			set := v.refetchForUnknownKey(ctx)
			if set == nil {
				return nil, unavailable(errKeysNotLoaded)
			}
			candidates = set.candidates(alg, kid)
		}
		if len(candidates) == 0 {
			return nil, unauthenticated(ReasonInvalid, errUnknownKey)
		}
	}
	for _, key := range candidates {
		if err := tok.Claims(key); err != nil {
			continue
		}
		// The signature over exactly these bytes has just been verified
		// with key; "unsafe" only means this call does not verify again.
		// json.RawMessage keeps them as they are: decodeClaims does the one
		// real parse.
		var payload json.RawMessage
		if err := tok.UnsafeClaimsWithoutVerification(&payload); err != nil {
			return nil, unauthenticated(ReasonInvalid, errClaimsNotObject)
		}
		return payload, nil
	}
	return nil, unauthenticated(ReasonInvalid, errBadSignature)
}
