package events

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// Apideck signs a re-serialisation of the body whose exact shape is not
// documented (see README, Connection events). The forms below are written
// the way JavaScript's JSON.stringify writes an object built by JSON.parse.

// Canonical form names, the values of the signature metric's form label
// and of the access line's sig_form.
const (
	FormRaw                = "raw"
	FormSortedExceptArrays = "sorted_except_arrays"
	FormSortedEverywhere   = "sorted_everywhere"
)

// Bounds on what is re-serialised: a body beyond them is checked raw only.
const (
	maxDepth  = 32
	maxValues = 10_000
)

var errTooComplex = errors.New("JSON too deep or too large to re-serialise")

// node is one decoded JSON value. Strings and keys are kept as UTF-16 code
// units, as JavaScript holds them: that order is the one keys sort by, and
// lone surrogates (which Go's decoder turns into U+FFFD) survive.
type node struct {
	kind  byte     // '{', '[', '"', or 'v' for a number or literal
	text  []byte   // a number's or literal's bytes as received
	str   []uint16 // a string's code units
	keys  [][]uint16
	elems []*node // an object's values (parallel to keys) or an array's elements
}

// parsed is a received body decoded in order.
type parsed struct {
	root      *node
	duplicate bool // some object repeats a key (JSON.parse keeps the last value at the first place)
	values    int
}

// parse decodes body preserving key order. With bounded, it gives up with
// errTooComplex past maxDepth or maxValues.
func parse(body []byte, bounded bool) (*parsed, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	p := &parsed{}
	var stack []*node
	var pendingKey []uint16 // the key awaiting its value in the innermost object
	var prev int64
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		raw := bytes.TrimRight(body[prev:dec.InputOffset()], " \t\r\n")
		prev = dec.InputOffset()
		top := (*node)(nil)
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			stack = stack[:len(stack)-1]
			continue
		}
		if top != nil && top.kind == '{' && pendingKey == nil {
			pendingKey = unquote(raw)
			continue
		}
		n := &node{}
		switch t := tok.(type) {
		case json.Delim:
			n.kind = byte(t)
		case string:
			n.kind, n.str = '"', unquote(raw)
		default: // json.Number, bool, nil
			n.kind, n.text = 'v', bytes.TrimLeft(raw, " \t\r\n,:")
		}
		p.values++
		if bounded && (p.values > maxValues || len(stack) >= maxDepth) {
			return nil, errTooComplex
		}
		switch {
		case top == nil:
			if p.root != nil {
				return nil, errors.New("more than one JSON value")
			}
			p.root = n
		case top.kind == '[':
			top.elems = append(top.elems, n)
		default:
			if i := slices.IndexFunc(top.keys, func(k []uint16) bool { return slices.Equal(k, pendingKey) }); i >= 0 {
				p.duplicate, top.elems[i] = true, n
			} else {
				top.keys, top.elems = append(top.keys, pendingKey), append(top.elems, n)
			}
			pendingKey = nil
		}
		if n.kind == '{' || n.kind == '[' {
			stack = append(stack, n)
		}
	}
	if p.root == nil || len(stack) > 0 {
		return nil, io.ErrUnexpectedEOF
	}
	return p, nil
}

// unquote decodes one string token's bytes (the decoder has already checked
// its syntax; separators before it are skipped) into UTF-16 code units.
func unquote(raw []byte) []uint16 {
	raw = raw[bytes.IndexByte(raw, '"')+1 : bytes.LastIndexByte(raw, '"')]
	out := make([]uint16, 0, len(raw))
	for len(raw) > 0 {
		if raw[0] != '\\' {
			r, size := utf8.DecodeRune(raw) // invalid UTF-8 becomes U+FFFD, as in Node
			out, raw = utf16.AppendRune(out, r), raw[size:]
			continue
		}
		c := raw[1]
		raw = raw[2:]
		switch c {
		case 'u':
			v, _ := strconv.ParseUint(string(raw[:4]), 16, 16)
			out, raw = append(out, uint16(v)), raw[4:]
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		default: // " \ /
			out = append(out, uint16(c))
		}
	}
	return out
}

// write appends n as JSON.stringify writes it. Objects have their keys
// sorted when sort is set, and sortInArrays says whether that carries on
// into objects inside arrays.
func write(buf []byte, n *node, sort, sortInArrays bool) []byte {
	switch n.kind {
	case '"':
		return appendString(buf, n.str)
	case 'v':
		return append(buf, n.text...)
	case '[':
		buf = append(buf, '[')
		for i, e := range n.elems {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = write(buf, e, sort && sortInArrays, sortInArrays)
		}
		return append(buf, ']')
	}
	order := make([]int, len(n.keys))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return compareKeys(n.keys[a], n.keys[b], sort) })
	buf = append(buf, '{')
	for i, k := range order {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(appendString(buf, n.keys[k]), ':')
		buf = write(buf, n.elems[k], sort, sortInArrays)
	}
	return append(buf, '}')
}

// compareKeys orders keys as a JavaScript object enumerates them: array
// indices first, ascending; then the rest by UTF-16 code units when sorted,
// else as inserted (the stable sort keeps that order).
func compareKeys(a, b []uint16, sorted bool) int {
	ia, aok := arrayIndex(a)
	ib, bok := arrayIndex(b)
	switch {
	case aok && bok:
		return int(ia - ib)
	case aok:
		return -1
	case bok:
		return 1
	case sorted:
		return slices.Compare(a, b)
	}
	return 0
}

// arrayIndex reports whether k is the canonical decimal form of an integer
// in 0…2^32-2, which JavaScript treats as an array index.
func arrayIndex(k []uint16) (int64, bool) {
	if len(k) == 0 || len(k) > 10 || len(k) > 1 && k[0] == '0' {
		return 0, false
	}
	var v int64
	for _, c := range k {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	return v, v <= 1<<32-2
}

// appendString writes s quoted, escaping only what JSON.stringify escapes.
func appendString(buf []byte, s []uint16) []byte {
	const hex = "0123456789abcdef"
	buf = append(buf, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			buf = append(buf, '\\', byte(c))
		case c == '\b':
			buf = append(buf, '\\', 'b')
		case c == '\f':
			buf = append(buf, '\\', 'f')
		case c == '\n':
			buf = append(buf, '\\', 'n')
		case c == '\r':
			buf = append(buf, '\\', 'r')
		case c == '\t':
			buf = append(buf, '\\', 't')
		case c < 0x20:
			buf = append(buf, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		case utf16.IsSurrogate(rune(c)):
			if i+1 < len(s) && c < 0xdc00 && s[i+1] >= 0xdc00 && s[i+1] < 0xe000 {
				buf = utf8.AppendRune(buf, utf16.DecodeRune(rune(c), rune(s[i+1])))
				i++
				continue
			}
			buf = append(buf, '\\', 'u', hex[c>>12], hex[c>>8&0xf], hex[c>>4&0xf], hex[c&0xf])
		default:
			buf = utf8.AppendRune(buf, rune(c))
		}
	}
	return append(buf, '"')
}
