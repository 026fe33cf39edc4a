package auth

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"errors"
	"fmt"
	"slices"

	"github.com/go-jose/go-jose/v4"
)

// knownAlgorithm reports whether alg is a JWS algorithm a verifier can be
// configured with. "none" is deliberately not one.
func knownAlgorithm(alg jose.SignatureAlgorithm) bool {
	switch alg {
	case jose.RS256, jose.RS384, jose.RS512,
		jose.PS256, jose.PS384, jose.PS512,
		jose.ES256, jose.ES384, jose.ES512,
		jose.EdDSA,
		jose.HS256, jose.HS384, jose.HS512:
		return true
	}
	return false
}

// parseAlgorithms turns the configured allow-list into go-jose values,
// refusing names it does not know (including "none").
func parseAlgorithms(names []string) ([]jose.SignatureAlgorithm, error) {
	if len(names) == 0 {
		return nil, errors.New("algorithm allow-list is empty")
	}
	algs := make([]jose.SignatureAlgorithm, 0, len(names))
	for _, n := range names {
		alg := jose.SignatureAlgorithm(n)
		if !knownAlgorithm(alg) {
			return nil, fmt.Errorf("unsupported algorithm %q", n)
		}
		if !slices.Contains(algs, alg) {
			algs = append(algs, alg)
		}
	}
	return algs, nil
}

// keyFits reports whether key may verify a token signed with alg. This is
// the guard against algorithm confusion: the token's header picks the
// algorithm, so the key's type (and the JWK's own "alg", when it has one)
// must agree with it — an RSA public key must never be used as an HMAC
// secret, and an ES256 token needs a P-256 key.
func keyFits(alg jose.SignatureAlgorithm, jwkAlg string, key any) bool {
	if jwkAlg != "" && jwkAlg != string(alg) {
		return false
	}
	switch alg {
	case jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512:
		_, ok := key.(*rsa.PublicKey)
		return ok
	case jose.ES256:
		return ecCurve(key) == "P-256"
	case jose.ES384:
		return ecCurve(key) == "P-384"
	case jose.ES512:
		return ecCurve(key) == "P-521"
	case jose.EdDSA:
		k, ok := key.(ed25519.PublicKey)
		return ok && len(k) == ed25519.PublicKeySize
	case jose.HS256, jose.HS384, jose.HS512:
		k, ok := key.([]byte)
		return ok && len(k) > 0
	}
	return false
}

func ecCurve(key any) string {
	k, ok := key.(*ecdsa.PublicKey)
	if !ok || k == nil || k.Curve == nil {
		return ""
	}
	return k.Curve.Params().Name
}

func isHMAC(alg jose.SignatureAlgorithm) bool {
	return alg == jose.HS256 || alg == jose.HS384 || alg == jose.HS512
}
