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

// ErrNoConsumer means the identity carries no usable consumer id.
var ErrNoConsumer = errors.New("no consumer")

// Mapping says which claims feed the consumer. The zero value maps nothing.
type Mapping struct {
	IDClaim, IDPrefix                                       string
	AccountNameClaim, UserNameClaim, EmailClaim, ImageClaim string
	SettingsClaim                                           string         // empty: none
	BaseSettings                                            map[string]any // custom consumer settings; may be nil
	// VerifiedEmail: the id claim is an address, usable only with
	// email_verified true and compared lower-cased (jwt mode, "email").
	VerifiedEmail bool
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

// Map turns claims into a Consumer, or an error wrapping ErrNoConsumer that
// names the claim; it is pure and modifies neither input.
func (m Mapping) Map(claims map[string]any) (Consumer, error) {
	raw, present := lookup(claims, m.IDClaim)
	v, ok := idValue(raw)
	if m.VerifiedEmail {
		// Anyone may write any address into a token of their own making;
		// and Ada@Corp.Example is ada@corp.example's mailbox, so one consumer.
		ok = ok && claims["email_verified"] == true
		v = strings.ToLower(v)
	}
	// Checked before the prefix: users without an org id must not all
	// share the consumer "org_".
	id := m.IDPrefix + v
	// The claim's name says what was checked; its value may be personal.
	if !present {
		return Consumer{}, fmt.Errorf("%w: claim %q is missing", ErrNoConsumer, m.IDClaim)
	}
	if !ok || v == "" || !ValidID(id) {
		return Consumer{}, fmt.Errorf("%w: claim %q is not a valid consumer id", ErrNoConsumer, m.IDClaim)
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

// settings merges the settings claim over the base settings (shallow: only
// marshalled, never written to). The warning names the claim, not its value.
func (m Mapping) settings(claims map[string]any) (out map[string]any, warning string) {
	raw, present := lookup(claims, m.SettingsClaim)
	overlay, isObj := raw.(map[string]any)
	if present && !isObj { // null included: warn rather than guess
		warning = "consumer settings claim " + m.SettingsClaim + " is not a JSON object; ignored"
	}
	if len(m.BaseSettings) == 0 && len(overlay) == 0 {
		return nil, warning
	}
	out = make(map[string]any, len(m.BaseSettings)+len(overlay))
	maps.Copy(out, m.BaseSettings)
	maps.Copy(out, overlay)
	return out, warning
}

// ValidID reports whether id, prefix included, is 1–255 bytes of printable
// ASCII without spaces: it travels in the x-apideck-consumer-id header.
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
		obj, _ := cur.(map[string]any) // nil when not an object: no member then
		var ok bool
		if cur, ok = obj[part]; !ok {
			return nil, false
		}
	}
	return cur, true
}

func stringClaim(claims map[string]any, name string) string {
	v, _ := lookup(claims, name)
	s, _ := v.(string)
	return s
}

// idValue renders a claim as a consumer id: strings as they are, integral
// numbers in plain decimal (1e3, 1000.0, 1000: "1000"), nothing else.
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

// decimalInteger rewrites an integral number literal as plain decimal,
// exactly (beyond 2^53 too). It works on the digits: math/big would compute
// 10^999999 for "1e999999" before it could be refused as too long.
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
	// Beyond ±2^20 it is too long or not integral anyway; no overflow below.
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
