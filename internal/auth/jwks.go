package auth

import (
	"encoding/json"
	"errors"

	"github.com/go-jose/go-jose/v4"
)

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
		if err := jwk.UnmarshalJSON(raw); err != nil {
			skipped++
			continue
		}
		// IsPublic is false for symmetric and private keys alike: a JWKS
		// must only publish public keys, and an "oct" key there would let
		// anyone who can read the JWKS mint tokens.
		if !jwk.IsPublic() || !jwk.Valid() || (jwk.Use != "" && jwk.Use != "sig") {
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
		if kid != "" && k.kid != kid {
			continue
		}
		if !keyFits(alg, k.alg, k.key) {
			continue
		}
		out = append(out, k.key)
		if len(out) == maxKeyAttempts {
			break
		}
	}
	return out
}

// size is the number of keys held.
func (s *keySet) size() int { return len(s.keys) }
