package consumer

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
)

// idValue renders a claim value as the text of a consumer id. Strings are
// taken as they are; integers (however they were decoded) are written in
// decimal without exponent, so 1e3, 1000.0 and 1000 all become "1000".
// Anything else — fractions, booleans, objects, arrays, null — is refused.
func idValue(v any) (string, bool) {
	switch n := v.(type) {
	case string:
		return n, true
	case json.Number:
		return decimalInteger(string(n))
	case float64:
		return floatInteger(n)
	case float32:
		return floatInteger(float64(n))
	case int:
		return strconv.FormatInt(int64(n), 10), true
	case int8:
		return strconv.FormatInt(int64(n), 10), true
	case int16:
		return strconv.FormatInt(int64(n), 10), true
	case int32:
		return strconv.FormatInt(int64(n), 10), true
	case int64:
		return strconv.FormatInt(n, 10), true
	case uint:
		return strconv.FormatUint(uint64(n), 10), true
	case uint8:
		return strconv.FormatUint(uint64(n), 10), true
	case uint16:
		return strconv.FormatUint(uint64(n), 10), true
	case uint32:
		return strconv.FormatUint(uint64(n), 10), true
	case uint64:
		return strconv.FormatUint(n, 10), true
	}
	return "", false
}

func floatInteger(f float64) (string, bool) {
	if math.IsInf(f, 0) || math.IsNaN(f) || f != math.Trunc(f) {
		return "", false
	}
	if f == 0 {
		return "0", true // also turns -0 into 0
	}
	return strconv.FormatFloat(f, 'f', -1, 64), true
}

// decimalInteger rewrites a JSON number literal as a plain decimal integer
// when its value is integral. It works on the digits rather than through
// float64 or math/big so that ids longer than 2^53 stay exact and a hostile
// exponent such as 1e999999999 cannot make it allocate: any result longer
// than MaxIDLen is refused before it is built.
func decimalInteger(s string) (string, bool) {
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	mant, expText, hasExp := strings.Cut(strings.ToLower(s), "e")
	intPart, frac, _ := strings.Cut(mant, ".")
	if intPart == "" || !allDigits(intPart) || !allDigits(frac) {
		return "", false
	}
	exp := 0
	if hasExp {
		e, err := strconv.Atoi(expText)
		// Bounding the exponent keeps the shift arithmetic far from
		// overflow; beyond it the result is too long or not integral.
		if err != nil || e > maxExp || e < -maxExp {
			return "", false
		}
		exp = e
	}
	digits := strings.TrimLeft(intPart+frac, "0")
	if digits == "" {
		return "0", true // zero, whatever its exponent
	}
	// The value is digits × 10^shift.
	shift := exp - len(frac)
	if shift < 0 {
		// Integral only if the digits dropped by the shift are all zeros.
		if -shift >= len(digits) {
			return "", false
		}
		cut := len(digits) + shift
		if strings.Trim(digits[cut:], "0") != "" {
			return "", false
		}
		digits = digits[:cut]
		shift = 0
	}
	if shift > MaxIDLen || len(digits)+shift > MaxIDLen {
		return "", false
	}
	out := digits + strings.Repeat("0", shift)
	if neg {
		out = "-" + out
	}
	return out, true
}

// maxExp bounds exponents well beyond anything that can still yield an id of
// at most MaxIDLen digits from a claim of sane length.
const maxExp = 1 << 20

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
