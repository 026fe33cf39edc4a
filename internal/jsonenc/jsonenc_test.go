package jsonenc

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// corpus covers every branch of AppendString.
var corpus = []string{
	"", "plain", "https://vault.example.test/session/eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiIxIn0.sig",
	`quote " and backslash \`, "<script>&amp;</script>", "\b\f\n\r\t", "\x00\x01\x1f\x7f",
	"ünïcödé ✓ 𝄞", "\u2028 and \u2029", "bad utf-8 \xff\xfe end", "truncated \xe2\x82",
	"\xed\xa0\x80 surrogate half", strings.Repeat("a<", 300),
}

func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range corpus {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := AppendString(nil, s); !bytes.Equal(got, want) {
			t.Errorf("AppendString(%q) = %s, encoding/json %s", s, got, want)
		}
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range corpus {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := AppendString(nil, s); !bytes.Equal(got, want) {
			t.Errorf("AppendString(%q) = %s, encoding/json %s", s, got, want)
		}
	})
}
