// Package secret holds values that must never be printed: API keys and signing secrets.
package secret

const redacted = "[REDACTED]"

// String is a secret string. Every way of printing or encoding it yields
// "[REDACTED]"; the raw value comes out only through Reveal.
type String struct{ v string }

// New wraps v.
func New(v string) String { return String{v: v} }

// Reveal returns the raw value. Call it only where the value is sent to the
// party that owns it (the Authorization header, an HMAC key).
func (s String) Reveal() string { return s.v }

// IsZero reports whether the secret is empty.
func (s String) IsZero() bool { return s.v == "" }

// String implements fmt.Stringer.
func (s String) String() string { return redacted }

// GoString implements fmt.GoStringer, so %#v redacts too.
func (s String) GoString() string { return redacted }

// MarshalText implements encoding.TextMarshaler.
func (s String) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// MarshalJSON implements json.Marshaler.
func (s String) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }
