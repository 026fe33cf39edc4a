package config

import (
	"errors"
	"io"
	"os"
	"strings"
	"unicode"
)

// maxSecretFile bounds what a *_FILE variable may point at: a secret is a
// line, and a mistaken path to a large file should fail fast.
const maxSecretFile = 64 << 10

// secretValue reads a secret given either directly in name or as a path in
// name+"_FILE" (for mounted Kubernetes/Docker secrets). set reports
// whether either is set; when one is but the secret is unusable, a problem
// is recorded and s is zero. No message ever includes the secret or the
// file's contents.
func (p *problems) secretValue(name, direct, path string) (s Secret, set bool) {
	fileVar := name + "_FILE"
	path = strings.TrimSpace(path)
	if strings.TrimSpace(direct) == "" {
		// Blank is unset, as for every variable. A non-blank value is
		// kept verbatim: it is not ours to change a secret.
		direct = ""
	}
	switch {
	case direct != "" && path != "":
		p.add(name, "set either %s or %s, not both", name, fileVar)
		return Secret{}, true
	case path != "":
		v, err := readSecretFile(path)
		if err != nil {
			p.wrap(fileVar, err)
			return Secret{}, true
		}
		return NewSecret(v), true
	case direct != "":
		return NewSecret(direct), true
	}
	return Secret{}, false
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
	if err != nil {
		return "", err
	}
	if len(b) > maxSecretFile {
		return "", errors.New("the file is larger than 64 KiB")
	}
	v := strings.TrimRightFunc(string(b), unicode.IsSpace)
	if v == "" {
		return "", errors.New("the file is empty")
	}
	return v, nil
}

// headerSafe reports whether v can travel in an HTTP header value without
// being rejected or changing meaning: printable ASCII, no spaces.
func headerSafe(v string) bool {
	for i := range len(v) {
		if v[i] <= ' ' || v[i] >= 0x7f {
			return false
		}
	}
	return true
}
