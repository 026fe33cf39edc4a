package handler

import "github.com/vaultgate/vaultgate/internal/jsonenc"

// appendJSON encodes the success answer without reflection: its shape is
// fixed, so only the four strings need encoding. The bytes are exactly
// what encoding/json's Encoder writes for connectResponse (HTML-safe
// escaping, members in declaration order, a trailing newline), which
// TestConnectResponseJSONMatchesEncodingJSON holds it to.
func (c connectResponse) appendJSON(b []byte) []byte {
	b = append(b, `{"session_uri":`...)
	b = jsonenc.AppendString(b, c.SessionURI)
	b = append(b, `,"session_token":`...)
	b = jsonenc.AppendString(b, c.SessionToken)
	b = append(b, `,"consumer_id":`...)
	b = jsonenc.AppendString(b, c.ConsumerID)
	b = append(b, `,"expires_at":`...)
	b = jsonenc.AppendString(b, c.ExpiresAt)
	return append(b, "}\n"...)
}

// jsonSize is room for the encoded answer in the common case (no escapes),
// so appendJSON fills one allocation.
func (c connectResponse) jsonSize() int {
	return len(`{"session_uri":"","session_token":"","consumer_id":"","expires_at":""}`+"\n") +
		len(c.SessionURI) + len(c.SessionToken) + len(c.ConsumerID) + len(c.ExpiresAt)
}
