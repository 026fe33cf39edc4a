package auth

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"strings"
)

// MaxIDLen is the longest consumer id, in bytes, that Apideck accepts.
const MaxIDLen = 255

// ErrNoConsumer means the identity carries no usable consumer id: the claim
// is missing, has an unsupported type, or does not form a valid id.
var ErrNoConsumer = errors.New("no consumer")

// Mapping says which claims feed the consumer. The zero value maps nothing.
type Mapping struct {
	IDClaim, IDPrefix                                       string
	AccountNameClaim, UserNameClaim, EmailClaim, ImageClaim string
	SettingsClaim                                           string         // empty: none
	BaseSettings                                            map[string]any // custom consumer settings; may be nil
}

// Consumer is the result of mapping one identity.
type Consumer struct {
	ID             string
	Metadata       *Metadata      // nil when no metadata claim is present
	CustomSettings map[string]any // BaseSettings merged with the claim's object (shallow, claim wins); nil when both empty
	Warning        string         // non-empty when SettingsClaim held a non-object (ignored); safe to log, no values
}

// Metadata describes the consumer to Apideck; empty fields are left out.
type Metadata struct {
	AccountName, UserName, Email, Image string
}

// Map turns claims into a Consumer. It is pure: no I/O, no clock. It
// returns ErrNoConsumer when the id claim is missing or does not yield a
// valid consumer id. Neither claims nor m.BaseSettings are modified; the
// returned settings map is a fresh copy.
func (m Mapping) Map(claims map[string]any) (Consumer, error) {
	raw, _ := lookup(claims, m.IDClaim)
	v, ok := idValue(raw)
	id := m.IDPrefix + v
	if !ok || !ValidID(id) {
		return Consumer{}, ErrNoConsumer
	}
	c := Consumer{ID: id}
	md := Metadata{
		AccountName: stringClaim(claims, m.AccountNameClaim),
		UserName:    stringClaim(claims, m.UserNameClaim),
		Email:       stringClaim(claims, m.EmailClaim),
		Image:       stringClaim(claims, m.ImageClaim),
	}
	if md != (Metadata{}) {
		c.Metadata = &md
	}
	c.CustomSettings, c.Warning = m.settings(claims)
	return c, nil
}

// settings merges the settings claim over the base settings. The warning
// names only the claim, never its value, so it is safe to log.
func (m Mapping) settings(claims map[string]any) (out map[string]any, warning string) {
	raw, present := lookup(claims, m.SettingsClaim)
	// A JSON null is not an object either: warn rather than guess what the
	// identity provider meant.
	overlay, isObj := raw.(map[string]any)
	if present && !isObj {
		warning = "consumer settings claim " + m.SettingsClaim + " is not a JSON object; ignored"
	}
	if len(m.BaseSettings) == 0 && len(overlay) == 0 {
		return nil, warning
	}
	// Shallow copies: nested values are shared, but neither input map is
	// written to, and callers only marshal the result.
	out = make(map[string]any, len(m.BaseSettings)+len(overlay))
	maps.Copy(out, m.BaseSettings)
	maps.Copy(out, overlay)
	return out, warning
}

// ValidID reports whether id is a valid consumer id: 1–255 bytes of
// printable ASCII without spaces. The whole id is checked, prefix included,
// because it travels in the x-apideck-consumer-id header.
func ValidID(id string) bool {
	return len(id) > 0 && len(id) <= MaxIDLen && !strings.ContainsFunc(id, func(c rune) bool { return c < 0x21 || c > 0x7e })
}

// lookup finds a claim by its exact name first (some providers use names
// such as "org.id" literally), then as a dot path into nested objects.
func lookup(claims map[string]any, name string) (any, bool) {
	if name == "" {
		return nil, false
	}
	if v, ok := claims[name]; ok {
		return v, true
	}
	var cur any = claims
	for part := range strings.SplitSeq(name, ".") {
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = obj[part]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// stringClaim returns the claim's value when it is a string, else "".
func stringClaim(claims map[string]any, name string) string {
	v, _ := lookup(claims, name)
	s, _ := v.(string)
	return s
}

// idValue renders a claim value as the text of a consumer id. Strings are
// taken as they are; integral numbers are written in decimal without
// exponent, so 1e3, 1000.0 and 1000 all become "1000". Anything else —
// fractions, booleans, objects, arrays, null — is refused.
func idValue(v any) (string, bool) {
	switch n := v.(type) {
	case string:
		return n, true
	case json.Number:
		return decimalInteger(string(n))
	case float64:
		return decimalInteger(strconv.FormatFloat(n, 'g', -1, 64))
	case float32:
		return idValue(float64(n))
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return fmt.Sprint(n), true
	}
	return "", false
}

// decimalInteger rewrites a number literal as a plain decimal integer when
// its value is integral, exactly (ids beyond 2^53 included). It works on
// the digits because math/big would compute 10^999999 for "1e999999"
// before the result could be refused as longer than MaxIDLen.
func decimalInteger(s string) (string, bool) {
	const digitSet = "0123456789"
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	mant, expText, hasExp := strings.Cut(strings.ToLower(s), "e")
	intPart, frac, _ := strings.Cut(mant, ".")
	digits := intPart + frac
	exp, err := strconv.Atoi(expText)
	// Beyond ±2^20 the result is too long or not integral anyway; the bound
	// keeps the arithmetic below far from overflow.
	if intPart == "" || strings.Trim(digits, digitSet) != "" || hasExp && (err != nil || exp > 1<<20 || exp < -1<<20) {
		return "", false
	}
	if digits = strings.TrimLeft(digits, "0"); digits == "" {
		return "0", true // zero, whatever its sign and exponent
	}
	shift := exp - len(frac) // the value is digits × 10^shift
	if shift < 0 {
		// Integral only if the digits shifted out are all zeros.
		cut := len(digits) + shift
		if cut <= 0 || strings.Trim(digits[cut:], "0") != "" {
			return "", false
		}
		digits, shift = digits[:cut], 0
	}
	if len(digits)+shift > MaxIDLen {
		return "", false
	}
	return sign + digits + strings.Repeat("0", shift), true
}
