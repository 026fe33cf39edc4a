package upstream

import (
	"bytes"
	"encoding/json"
)

// sessionData is data.session_uri and data.session_token of Apideck's
// success answer; present is false when "data" is absent or null.
type sessionData struct {
	present    bool
	uri, token string
}

// decodeEnvelope reads the success body the way json.Unmarshal into
//
//	struct{ Data *struct{ SessionURI, SessionToken string } }
//
// would (member names matched case-insensitively, the last of repeated
// members winning, null leaving a string as it was, a second "data" object
// merging into the first), without reflection: it runs for every session
// and reflection-based decoding was a tenth of the request's CPU.
// FuzzDecodeEnvelope holds it to json.Unmarshal. ok is false where
// json.Unmarshal would return an error.
func decodeEnvelope(body []byte) (d sessionData, ok bool) {
	// One strict validation pass (json.Valid allocates nothing); the walk
	// below may then rely on the input being well-formed JSON.
	if !json.Valid(body) {
		return sessionData{}, false
	}
	p := lexer{b: body}
	p.space()
	if p.peek() == 'n' { // top-level null: nothing set
		return sessionData{}, true
	}
	ok = p.members(func(key []byte) bool {
		if !bytes.EqualFold(key, []byte("data")) {
			p.skip()
			return true
		}
		switch p.peek() {
		case 'n':
			p.skip()
			d = sessionData{}
			return true
		case '{':
			d.present = true
			return p.members(func(key []byte) bool {
				switch {
				case bytes.EqualFold(key, []byte("session_uri")):
					return p.stringInto(&d.uri)
				case bytes.EqualFold(key, []byte("session_token")):
					return p.stringInto(&d.token)
				}
				p.skip()
				return true
			})
		}
		return false // data of another type
	})
	if !ok {
		return sessionData{}, false
	}
	return d, true
}

// lexer walks JSON already known to be valid.
type lexer struct {
	b []byte
	i int
}

func (p *lexer) peek() byte { return p.b[p.i] }

func (p *lexer) space() {
	for p.i < len(p.b) && (p.b[p.i] == ' ' || p.b[p.i] == '\t' || p.b[p.i] == '\n' || p.b[p.i] == '\r') {
		p.i++
	}
}

// members walks the object at p, calling member with each unescaped name
// while positioned at its value; member consumes the value. It reports
// false for a non-object or when member does.
func (p *lexer) members(member func(key []byte) bool) bool {
	if p.peek() != '{' {
		return false
	}
	p.i++
	for {
		p.space()
		if p.peek() == '}' {
			p.i++
			return true
		}
		key, ok := p.str()
		if !ok {
			return false
		}
		p.space()
		p.i++ // ':'
		p.space()
		if !member(key) {
			return false
		}
		p.space()
		if p.peek() == ',' {
			p.i++
		}
	}
}

// str consumes a string and returns its contents, unescaped.
func (p *lexer) str() ([]byte, bool) {
	start := p.i
	p.skipString()
	raw := p.b[start:p.i]
	inner := raw[1 : len(raw)-1]
	if plainASCII(inner) {
		return inner, true
	}
	// Escapes or non-ASCII (rare in Apideck's answers): encoding/json's own
	// unquoting, for its exact handling of surrogates and invalid UTF-8.
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return nil, false
	}
	return []byte(s), true
}

// stringInto stores the string value at p in dst; null leaves dst as it was.
func (p *lexer) stringInto(dst *string) bool {
	switch p.peek() {
	case 'n':
		p.skip()
		return true
	case '"':
		s, ok := p.str()
		*dst = string(s)
		return ok
	}
	return false
}

func plainASCII(b []byte) bool {
	for _, c := range b {
		if c == '\\' || c >= 0x80 {
			return false
		}
	}
	return true
}

// skipString moves past the string starting at p.
func (p *lexer) skipString() {
	p.i++ // opening quote
	for p.b[p.i] != '"' {
		if p.b[p.i] == '\\' {
			p.i++
		}
		p.i++
	}
	p.i++
}

// skip moves past the value starting at p.
func (p *lexer) skip() {
	switch p.peek() {
	case '"':
		p.skipString()
	case '{', '[':
		depth := 0
		for {
			switch p.b[p.i] {
			case '"':
				p.skipString()
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
			}
			p.i++
			if depth == 0 {
				return
			}
		}
	default: // number, true, false, null
		for p.i < len(p.b) {
			switch p.b[p.i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return
			}
			p.i++
		}
	}
}
