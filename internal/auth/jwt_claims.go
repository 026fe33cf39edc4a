package auth

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/go-jose/go-jose/v4/jwt"
)

var (
	errClaimsNotObject = errors.New("claims are not a single JSON object")
	errMissingExp      = errors.New("exp claim is missing")
	errMissingSub      = errors.New("sub claim is missing or not a non-empty string")
)

// claimTypeError names a registered claim whose JSON type is wrong. It
// carries the claim's name only, never its value.
type claimTypeError struct{ name string }

func (e claimTypeError) Error() string { return fmt.Sprintf("%s claim has the wrong type", e.name) }

// decodeClaims parses a verified payload once, into the map handed to the
// consumer mapping, and derives the registered claims from that same map so
// what is validated and what is used can never disagree (no second parser
// with other rules for case or duplicate keys). Numbers are json.Number so
// integer claims such as an organisation id survive exactly.
func decodeClaims(payload []byte) (map[string]any, jwt.Claims, error) {
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	var claims map[string]any
	if err := dec.Decode(&claims); err != nil || claims == nil {
		return nil, jwt.Claims{}, errClaimsNotObject
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, jwt.Claims{}, errClaimsNotObject
	}
	var reg jwt.Claims
	var err error
	if reg.Issuer, err = optionalString(claims, "iss"); err != nil {
		return nil, jwt.Claims{}, err
	}
	if reg.Audience, err = audience(claims); err != nil {
		return nil, jwt.Claims{}, err
	}
	if reg.Expiry, err = numericDate(claims, "exp"); err != nil {
		return nil, jwt.Claims{}, err
	}
	if reg.Expiry == nil {
		return nil, jwt.Claims{}, errMissingExp
	}
	if reg.NotBefore, err = numericDate(claims, "nbf"); err != nil {
		return nil, jwt.Claims{}, err
	}
	if reg.IssuedAt, err = numericDate(claims, "iat"); err != nil {
		return nil, jwt.Claims{}, err
	}
	sub, ok := claims["sub"].(string)
	if !ok || sub == "" {
		return nil, jwt.Claims{}, errMissingSub
	}
	reg.Subject = sub
	return claims, reg, nil
}

func optionalString(claims map[string]any, name string) (string, error) {
	v, present := claims[name]
	if !present {
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", claimTypeError{name}
	}
	return s, nil
}

// audience accepts "aud" as a string or an array of strings (RFC 7519 §4.1.3).
func audience(claims map[string]any) (jwt.Audience, error) {
	switch v := claims["aud"].(type) {
	case nil:
		if _, present := claims["aud"]; present {
			return nil, claimTypeError{"aud"}
		}
		return nil, nil
	case string:
		return jwt.Audience{v}, nil
	case []any:
		out := make(jwt.Audience, 0, len(v))
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, claimTypeError{"aud"}
			}
			out = append(out, s)
		}
		return out, nil
	default:
		return nil, claimTypeError{"aud"}
	}
}

// numericDate reads an optional NumericDate claim. go-jose's own parser
// rejects values so large they would wrap around in time arithmetic.
func numericDate(claims map[string]any, name string) (*jwt.NumericDate, error) {
	v, present := claims[name]
	if !present {
		return nil, nil
	}
	n, ok := v.(json.Number)
	if !ok {
		return nil, claimTypeError{name}
	}
	d := new(jwt.NumericDate)
	if err := d.UnmarshalJSON([]byte(n)); err != nil {
		return nil, claimTypeError{name}
	}
	return d, nil
}
