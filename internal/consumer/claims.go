package consumer

import "strings"

// MaxIDLen is the longest consumer id, in bytes, that Apideck accepts.
const MaxIDLen = 255

// ValidID reports whether id is a valid consumer id: 1–255 bytes of
// printable ASCII without spaces. The whole id is checked, prefix included,
// because it travels in the x-apideck-consumer-id header.
func ValidID(id string) bool {
	if len(id) == 0 || len(id) > MaxIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < 0x21 || id[i] > 0x7e {
			return false
		}
	}
	return true
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
	if !strings.Contains(name, ".") {
		return nil, false
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
