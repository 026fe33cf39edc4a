// Package jsonenc writes JSON strings byte for byte as encoding/json does,
// without reflection, for the fixed-shape documents on the request path.
package jsonenc

import "unicode/utf8"

const lowerHex = "0123456789abcdef"

// jsonSafeASCII[c] is '1' for the ASCII bytes a JSON string carries as
// they are with HTML escaping on: printable, but not ", \, <, > or &.
const jsonSafeASCII = "00000000000000000000000000000000" + // controls
	"11011101111111111111111111110101" + // space to ?
	"11111111111111111111111111110111" + // @ to _
	"11111111111111111111111111111111" // ` to DEL

// AppendString appends s as a JSON string the way encoding/json does
// with HTML escaping on: <, > and & as \u003c, \u003e and \u0026, control
// characters escaped, invalid UTF-8 replaced by U+FFFD, and U+2028/U+2029
// escaped for JavaScript.
func AppendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if jsonSafeASCII[c] == '1' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', lowerHex[c>>4], lowerHex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', lowerHex[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
