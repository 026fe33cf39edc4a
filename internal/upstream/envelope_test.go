package upstream

import (
	"encoding/json"
	"strings"
	"testing"
)

// reflectedEnvelope is how the success body used to be decoded; the
// decoder must agree with it on every input.
type reflectedEnvelope struct {
	Data *struct {
		SessionURI   string `json:"session_uri"`
		SessionToken string `json:"session_token"`
	} `json:"data"`
}

func referenceEnvelope(body []byte) (sessionData, bool) {
	var env reflectedEnvelope
	if err := json.Unmarshal(body, &env); err != nil {
		return sessionData{}, false
	}
	if env.Data == nil {
		return sessionData{}, true
	}
	return sessionData{present: true, uri: env.Data.SessionURI, token: env.Data.SessionToken}, true
}

var envelopeCorpus = []string{
	`{"status_code":200,"status":"OK","data":{"session_uri":"https://vault.apideck.com/session/abc","session_token":"abc"}}`,
	` {"data" : {"session_token":"t" , "session_uri":"u"} } `,
	`{"data":{"session_uri":"u","session_token":"t","extra":{"a":[1,2,{"b":"}"}]},"n":-1.5e3,"f":false}}`,
	`{"Data":{"SESSION_URI":"u","Session_Token":"t"}}`,
	`{"data":{"ſession_uri":"u"}}`,
	`{"d\u0061ta":{"session\u005furi":"u\u00e9\ud83d\ude00","session_token":"\ud800"}}`,
	`{"data":{"session_uri":"a"},"data":{"session_token":"t"}}`,
	`{"data":{"session_uri":"a"},"data":null}`,
	`{"data":null,"data":{"session_uri":"b"}}`,
	`{"data":{"session_uri":null,"session_token":null}}`,
	`{"data":{"session_uri":"a","session_uri":"b"}}`,
	`{"data":{"session_uri":1}}`, `{"data":{"session_uri":true}}`, `{"data":{"session_uri":{}}}`,
	`{"data":{"session_uri":["u"]}}`, `{"data":"x"}`, `{"data":[]}`, `{"data":1}`, `{"data":true}`,
	`null`, ` null `, `[]`, `"x"`, `1`, `true`, `{}`, `{"data":{}}`, ``, ` `, `{`, `{"data":{"session_uri":"u"}`,
	`{"data":{"session_uri":"u"}} x`, `{"data":{"session_uri":"u\x01"}}`, "{\"data\":{\"session_uri\":\"\xff\"}}",
	`{"a":"\"","data":{"session_uri":"\\"}}`, `<html>`, `{"data":{"session_uri":"u"},}`,
}

func TestDecodeEnvelopeMatchesEncodingJSON(t *testing.T) {
	for _, body := range envelopeCorpus {
		got, gotOK := decodeEnvelope([]byte(body))
		want, wantOK := referenceEnvelope([]byte(body))
		if got != want || gotOK != wantOK {
			t.Errorf("decodeEnvelope(%s) = %+v, %v; encoding/json %+v, %v", body, got, gotOK, want, wantOK)
		}
	}
}

func FuzzDecodeEnvelope(f *testing.F) {
	for _, body := range envelopeCorpus {
		f.Add([]byte(body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got, gotOK := decodeEnvelope(body)
		want, wantOK := referenceEnvelope(body)
		if got != want || gotOK != wantOK {
			t.Errorf("decodeEnvelope(%q) = %+v, %v; encoding/json %+v, %v", body, got, gotOK, want, wantOK)
		}
	})
}

// BenchmarkDecodeEnvelope compares the reflection-based decoding the
// client used before with decodeEnvelope, on an answer shaped like the
// simulator's (a signed session token of about 900 bytes, twice).
func BenchmarkDecodeEnvelope(b *testing.B) {
	token := strings.Repeat("eyJhbGciOiJFUzI1NiJ9", 45)
	body := sessionBody("https://vault.apideck.com/session/"+token, token)
	for _, bb := range []struct {
		name   string
		decode func([]byte) (sessionData, bool)
	}{
		{"encoding-json", referenceEnvelope},
		{"decodeEnvelope", decodeEnvelope},
	} {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if d, ok := bb.decode(body); !ok || d.token != token {
					b.Fatal("not decoded")
				}
			}
		})
	}
}
