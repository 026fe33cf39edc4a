package config

import (
	"errors"
	"io"
	"os"
	"strings"
	"unicode"
)

const redacted = "[REDACTED]"

// Secret is a string that must never be printed: an API key, a signing
// secret, a URL with a password. Every way of printing or encoding it
// yields "[REDACTED]"; the raw value comes out only through Reveal.
type Secret struct{ v string }

// NewSecret wraps v.
func NewSecret(v string) Secret { return Secret{v: v} }

// Reveal returns the raw value, only for the package that sends it to its
// owner (the Authorization header, an HMAC key).
func (s Secret) Reveal() string { return s.v }

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return s.v == "" }

// String implements fmt.Stringer.
func (s Secret) String() string { return redacted }

// GoString implements fmt.GoStringer, so %#v redacts too.
func (s Secret) GoString() string { return redacted }

// MarshalText implements encoding.TextMarshaler, which JSON encoding uses too.
func (s Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// maxSecretFile bounds what a *_FILE variable may point at: a secret is a
// line, and a mistaken path to a large file should fail fast.
const maxSecretFile = 64 << 10

// secret reads a secret given in name or, as a path, in name+"_FILE" (a
// mounted Kubernetes/Docker secret), and whether either is set. No message
// shows the secret or the file's contents.
func (p *parser) secret(name string) (Secret, bool) {
	fileVar := name + "_FILE"
	path := p.str(fileVar, "")
	// Blank is unset, as for every variable; anything else is kept
	// verbatim: it is not ours to change a secret.
	direct, _ := p.lookup(name)
	if strings.TrimSpace(direct) == "" {
		direct = ""
	}
	switch {
	case direct != "" && path != "":
		p.add(name, "set either %s or %s, not both", name, fileVar)
		direct = ""
	case path != "":
		var err error
		if direct, err = readSecretFile(path); err != nil {
			p.add(fileVar, "%v", err)
		}
	}
	return NewSecret(direct), direct != "" || path != ""
}

// readSecretFile returns the file's contents without trailing whitespace:
// `echo key > file` and editors add a newline that is not part of the key.
func readSecretFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxSecretFile+1))
	v := strings.TrimRightFunc(string(b), unicode.IsSpace)
	switch {
	case err != nil:
		return "", err
	case len(b) > maxSecretFile:
		return "", errors.New("the file is larger than 64 KiB")
	case v == "":
		return "", errors.New("the file is empty")
	}
	return v, nil
}
