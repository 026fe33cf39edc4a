package upstream

import (
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"time"
)

// The messages below are fixed on purpose: json and url errors quote parts of
// their input, and the input here is a session URI or an upstream body.
var (
	errNotJSON          = errors.New("success body is not the expected JSON")
	errNoSessionURI     = errors.New("success body has no session_uri")
	errNoSessionToken   = errors.New("success body has no usable session_token")
	errBadSessionURI    = errors.New("session_uri is not an absolute http(s) URL")
	errForeignOrigin    = errors.New("session_uri is not on the vault origin")
	errBodyTooLarge     = errors.New("body larger than the read limit")
	errRedirectAnswered = errors.New("redirect answered, not followed")
)

// parseSession turns a success body into a Session whose URI is on vault.
func parseSession(body []byte, vault string, now time.Time) (Session, error) {
	var answer struct {
		Data *struct {
			SessionURI   string `json:"session_uri"`
			SessionToken string `json:"session_token"`
		} `json:"data"`
	}
	if json.Unmarshal(body, &answer) != nil {
		return Session{}, errNotJSON
	}
	data := answer.Data
	if data == nil || data.SessionURI == "" {
		return Session{}, errNoSessionURI
	}
	if !isTokenText(data.SessionToken) {
		return Session{}, errNoSessionToken
	}
	u, err := url.Parse(data.SessionURI)
	if err != nil || !u.IsAbs() || u.Host == "" || u.Opaque != "" {
		return Session{}, errBadSessionURI
	}
	// Userinfo never belongs in a Vault link and is a classic way to make a
	// URL look like it points somewhere it does not.
	if u.User != nil {
		return Session{}, errForeignOrigin
	}
	if originOf(u) != vault {
		return Session{}, errForeignOrigin
	}
	return Session{URI: data.SessionURI, Token: data.SessionToken, CreatedAt: now}, nil
}

// isTokenText reports whether s is non-empty printable ASCII without spaces.
// The token is a JWT; it ends up in URLs and pages, so anything else is not
// something to pass on.
func isTokenText(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// maxTypeNameLen bounds the one piece of an error body we repeat.
const maxTypeNameLen = 64

// errorTypeName returns Apideck's type_name (e.g. "RequestValidationError")
// when the body has one that looks like an identifier, else "". Nothing else
// of an error body is read: it may echo request data.
func errorTypeName(body []byte) string {
	var shape struct {
		TypeName any `json:"type_name"`
	}
	if json.Unmarshal(body, &shape) != nil {
		return ""
	}
	s, ok := shape.TypeName.(string)
	if !ok || s == "" || len(s) > maxTypeNameLen {
		return ""
	}
	if strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '.' || r == '-')
	}) >= 0 {
		return ""
	}
	return s
}
