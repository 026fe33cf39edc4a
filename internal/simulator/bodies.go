package simulator

import (
	"bytes"
	"encoding/json"
	"strings"
)

// Body is how an Injection changes an answer that is not an injected status.
type Body string

// The bodies. BodyHuge and BodyExtra change only successful JSON answers.
const (
	BodyReal  Body = ""      // the real answer
	BodyHTML  Body = "html"  // 200 with a maintenance page, whatever the real answer
	BodyHuge  Body = "huge"  // the real answer padded past hugeBodyBytes
	BodyExtra Body = "extra" // the real answer with members Apideck's schema lacks, in the envelope and in data
)

// Bodies lists the bodies an Injection can name.
func Bodies() []Body { return []Body{BodyReal, BodyHTML, BodyHuge, BodyExtra} }

// alter changes a successful JSON answer as b says; any other answer, and
// one whose body is not a JSON object, is kept.
func (b Body) alter(resp response) response {
	if (b != BodyHuge && b != BodyExtra) || resp.status < 200 || resp.status >= 300 || resp.contentType != "application/json" {
		return resp
	}
	dec := json.NewDecoder(bytes.NewReader(resp.body))
	dec.UseNumber() // timestamps stay integers
	var envelope map[string]any
	if dec.Decode(&envelope) != nil {
		return resp
	}
	if b == BodyHuge {
		envelope["padding"] = strings.Repeat("x", hugeBodyBytes)
		return jsonResponse(resp.status, envelope)
	}
	addExtraMembers(envelope)
	switch data := envelope["data"].(type) {
	case map[string]any:
		addExtraMembers(data)
	case []any:
		for _, item := range data {
			if m, ok := item.(map[string]any); ok {
				addExtraMembers(m)
			}
		}
	}
	return jsonResponse(resp.status, envelope)
}

// ExtraSecret is in every value BodyExtra adds, so a test can check that
// none of them reached a browser or a log.
const ExtraSecret = "sim_extra_secret"

// addExtraMembers adds members Apideck might add to its schema one day,
// among them credentials a client must not pass on.
func addExtraMembers(m map[string]any) {
	m["x_beta_flag"] = ExtraSecret + "_flag"
	m["oauth_tokens"] = map[string]any{"access_token": ExtraSecret + "_access", "refresh_token": ExtraSecret + "_refresh"}
	m["tags"] = []any{ExtraSecret + "_tag"}
}
