package upstream

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// reflected has SessionRequest's fields and tags but not its MarshalJSON:
// encoding/json's own output for it is the reference.
type reflected SessionRequest

func referenceJSON(t testing.TB, r SessionRequest) []byte {
	t.Helper()
	b, err := json.Marshal(reflected(r))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// filled sets every field of v, recursively, to a non-zero value built
// from s, so that a field added later without encoder support shows up as
// a difference.
func filled(v reflect.Value, s string, flag bool) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Bool:
		v.SetBool(flag)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		filled(v.Elem(), s, flag)
	case reflect.Struct:
		for i := range v.NumField() {
			filled(v.Field(i), s+string(rune('a'+i)), !flag)
		}
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		filled(v.Index(0), s, flag)
		filled(v.Index(1), s+"2", flag)
	case reflect.Map:
		v.Set(reflect.ValueOf(map[string]any{"tax": json.Number("0.19"), s: []any{"x", true, nil}, "nested": map[string]any{"b": 1, "a": "<&>"}}))
	default:
		panic("unhandled kind " + v.Kind().String())
	}
}

func TestSessionRequestJSONMatchesEncodingJSON(t *testing.T) {
	yes, no := true, false
	all := func(s string, flag bool) SessionRequest {
		var r SessionRequest
		filled(reflect.ValueOf(&r).Elem(), s, flag)
		return r
	}
	tests := []struct {
		name string
		req  SessionRequest
	}{
		{"zero", SessionRequest{}},
		{"every field", all("v", true)},
		{"every field, other booleans", all("w", false)},
		{"every field, escapes", all("<a href=\"x\">&\u2028\xff\n", true)},
		{"typical", SessionRequest{
			ConsumerMetadata: &ConsumerMetadata{AccountName: "Acme", Email: "ada@acme.test"},
			RedirectURI:      "https://app.example.com/integrations/done",
			Settings:         &Settings{UnifiedAPIs: []string{"crm"}, SandboxMode: &yes, ShowLogs: &no},
			Theme:            &Theme{VaultName: "Acme"},
		}},
		{"empty nested objects", SessionRequest{ConsumerMetadata: &ConsumerMetadata{}, Settings: &Settings{}, Theme: &Theme{}}},
		{"allow_actions empty means none", SessionRequest{Settings: &Settings{AllowActions: []string{}, UnifiedAPIs: []string{}}}},
		{"empty custom settings are left out", SessionRequest{CustomConsumerSettings: map[string]any{}}},
		{"only the last member", SessionRequest{CustomConsumerSettings: map[string]any{"k": "v"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.req.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			if want := referenceJSON(t, tt.req); !bytes.Equal(got, want) {
				t.Errorf("MarshalJSON\n got %s\nwant %s", got, want)
			}
			// Through encoding/json (as the session key uses it) too.
			via, err := json.Marshal(tt.req)
			if err != nil || !bytes.Equal(via, got) {
				t.Errorf("json.Marshal = %s, %v; want %s", via, err, got)
			}
		})
	}
}

func TestSessionRequestJSONUnsupportedCustomValue(t *testing.T) {
	r := SessionRequest{CustomConsumerSettings: map[string]any{"f": func() {}}}
	if _, err := r.MarshalJSON(); err == nil {
		t.Error("no error for a value JSON cannot hold")
	}
}

func FuzzSessionRequestJSON(f *testing.F) {
	f.Add("https://app.example.com/done", "crm", "Acme <&>", "30m", true)
	f.Add("\xff\u2029\"\\", "", "\x00", "", false)
	f.Fuzz(func(t *testing.T, uri, api, name, length string, flag bool) {
		r := SessionRequest{
			ConsumerMetadata: &ConsumerMetadata{AccountName: name, UserName: api},
			RedirectURI:      uri,
			Settings:         &Settings{UnifiedAPIs: []string{api, name}, AutoRedirect: &flag, SessionLength: length},
			Theme:            &Theme{PrimaryColor: name, TermsURL: uri},
		}
		got, err := r.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		if want := referenceJSON(t, r); !bytes.Equal(got, want) {
			t.Errorf("MarshalJSON\n got %s\nwant %s", got, want)
		}
	})
}

// BenchmarkSessionRequestJSON compares encoding/json's reflection with
// MarshalJSON on a typical request.
func BenchmarkSessionRequestJSON(b *testing.B) {
	r := SessionRequest{
		ConsumerMetadata: &ConsumerMetadata{AccountName: "Organisation org_7", UserName: "User 42", Email: "user42@bench.test"},
		RedirectURI:      "https://app.bench.test/integrations/done",
		Settings:         &Settings{UnifiedAPIs: []string{"crm"}},
		Theme:            &Theme{VaultName: "Bench"},
	}
	for _, bb := range []struct {
		name   string
		encode func() ([]byte, error)
	}{
		{"encoding-json", func() ([]byte, error) { return json.Marshal(reflected(r)) }},
		{"MarshalJSON", r.MarshalJSON},
	} {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := bb.encode(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
