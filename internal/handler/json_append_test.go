package handler

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// jsonStringCorpus covers every branch of jsonenc.AppendString.
var jsonStringCorpus = []string{
	"", "plain", "https://vault.example.test/session/eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiIxIn0.sig",
	`quote " and backslash \`, "<script>&amp;</script>", "\b\f\n\r\t", "\x00\x01\x1f\x7f",
	"ünïcödé ✓ 𝄞", "\u2028 and \u2029", "bad utf-8 \xff\xfe end", "truncated \xe2\x82",
	"\xed\xa0\x80 surrogate half", strings.Repeat("a<", 300),
}

func TestConnectResponseJSONMatchesEncodingJSON(t *testing.T) {
	for _, s := range jsonStringCorpus {
		resp := connectResponse{SessionURI: s, SessionToken: s + "t", ConsumerID: "org_" + s, ExpiresAt: "2026-11-26T12:30:00Z"}
		var want bytes.Buffer
		if err := json.NewEncoder(&want).Encode(resp); err != nil {
			t.Fatal(err)
		}
		got := resp.appendJSON(nil)
		if !bytes.Equal(got, want.Bytes()) {
			t.Errorf("appendJSON(%q)\n got %s\nwant %s", s, got, want.Bytes())
		}
	}
}

// BenchmarkConnectResponseJSON compares the encoder the success answer
// used before (json.Encoder into a buffer) with appendJSON.
func BenchmarkConnectResponseJSON(b *testing.B) {
	token := strings.Repeat("eyJhbGciOiJFUzI1NiJ9", 45)
	resp := connectResponse{SessionURI: "https://vault.apideck.com/session/" + token, SessionToken: token,
		ConsumerID: "org_42", ExpiresAt: "2026-11-26T12:30:00Z"}
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var buf bytes.Buffer
			if err := json.NewEncoder(&buf).Encode(resp); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("appendJSON", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = resp.appendJSON(make([]byte, 0, resp.jsonSize()))
		}
	})
}
