package auth

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/json"
	"errors"

	"github.com/go-jose/go-jose/v4"
)

// Algorithms lists the JWS algorithms a verifier can be configured with,
// in their canonical spelling. "none" is deliberately not one.
func Algorithms() []string {
	return []string{
		"RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
		"ES256", "ES384", "ES512", "EdDSA", "HS256", "HS384", "HS512",
	}
}

// maxKeyAttempts bounds how many keys one token is tried against, so a large
// key set (or one repeating a kid) cannot turn one request into many
// signature checks.
const maxKeyAttempts = 8

var (
	errJWKSNotJSON   = errors.New("jwks: body is not a JSON key set")
	errJWKSNoSigKeys = errors.New("jwks: no usable public signing keys")
)

// verificationKey is one public key from a JWKS.
type verificationKey struct {
	kid string
	alg string // the JWK's "alg", empty when it names none
	key any    // *rsa.PublicKey, *ecdsa.PublicKey or ed25519.PublicKey
}

// keySet is an immutable snapshot of the JWKS; a refresh replaces it whole.
type keySet struct {
	keys []verificationKey // kid-less keys first, then in document order
}

// parseJWKS reads a JWKS document. Keys that cannot be used to verify
// signatures — unknown types, "use" other than "sig", symmetric keys or any
// private key material — are skipped one by one (skipped counts them) so a
// single odd entry does not discard the whole set. Errors never quote the
// document.
func parseJWKS(body []byte) (set *keySet, skipped int, err error) {
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, 0, errJWKSNotJSON
	}
	var withKID, withoutKID []verificationKey
	for _, raw := range doc.Keys {
		var jwk jose.JSONWebKey
		// IsPublic is false for symmetric and private keys alike: a JWKS
		// must only publish public keys, and an "oct" key there would let
		// anyone who can read the JWKS mint tokens.
		if jwk.UnmarshalJSON(raw) != nil || !jwk.IsPublic() || !jwk.Valid() || (jwk.Use != "" && jwk.Use != "sig") {
			skipped++
			continue
		}
		k := verificationKey{kid: jwk.KeyID, alg: jwk.Algorithm, key: jwk.Key}
		if k.kid == "" {
			withoutKID = append(withoutKID, k)
		} else {
			withKID = append(withKID, k)
		}
	}
	if len(withKID)+len(withoutKID) == 0 {
		return nil, skipped, errJWKSNoSigKeys
	}
	return &keySet{keys: append(withoutKID, withKID...)}, skipped, nil
}

// candidates lists the keys a token with this alg and kid may be verified
// with. A kid selects exactly the keys carrying it; a token without a kid is
// tried against kid-less keys first, then the others. Either way at most
// maxKeyAttempts keys are returned.
func (s *keySet) candidates(alg jose.SignatureAlgorithm, kid string) []any {
	if s == nil {
		return nil
	}
	var out []any
	for _, k := range s.keys {
		if (kid == "" || k.kid == kid) && keyFits(alg, k.alg, k.key) {
			if out = append(out, k.key); len(out) == maxKeyAttempts {
				break
			}
		}
	}
	return out
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
