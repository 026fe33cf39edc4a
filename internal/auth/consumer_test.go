package auth

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// defaults is the Mapping the configuration's defaults produce.
func defaults() Mapping {
	return Mapping{
		IDClaim:          "sub",
		AccountNameClaim: "org_name",
		UserNameClaim:    "name",
		EmailClaim:       "email",
		ImageClaim:       "picture",
	}
}

// claimsJSON decodes claims the way the auth code does: numbers as
// json.Number.
func claimsJSON(t *testing.T, s string) map[string]any {
	t.Helper()
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		t.Fatalf("decode claims: %v", err)
	}
	return m
}

// The refusal names the claim that was checked and whether it was there;
// never its value, which may be an email address.
func TestMapNoConsumerSaysWhy(t *testing.T) {
	t.Parallel()
	m := defaults()
	m.IDClaim = "org.id"
	tests := []struct{ claims, want string }{
		{`{"sub":"u"}`, `no consumer: claim "org.id" is missing`},
		{`{"org":{"id":"ann@example.com x"}}`, `no consumer: claim "org.id" is not a valid consumer id`},
		{`{"org":{"id":null}}`, `no consumer: claim "org.id" is not a valid consumer id`},
	}
	for _, tt := range tests {
		_, err := m.Map(claimsJSON(t, tt.claims))
		if !errors.Is(err, ErrNoConsumer) || err.Error() != tt.want {
			t.Errorf("%s: err = %v, want %q", tt.claims, err, tt.want)
		}
	}
}

func TestMapID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		idClaim string
		prefix  string
		claims  string
		want    string // "" means ErrNoConsumer
	}{
		{"string", "sub", "", `{"sub":"user_1"}`, "user_1"},
		{"prefix", "sub", "org_", `{"sub":"42"}`, "org_42"},
		{"exact name with dot wins", "org.id", "", `{"org.id":"flat","org":{"id":"nested"}}`, "flat"},
		{"dot path", "org.id", "", `{"org":{"id":"nested"}}`, "nested"},
		{"deep dot path", "a.b.c", "", `{"a":{"b":{"c":"deep"}}}`, "deep"},
		{"dot path through non-object", "org.id", "", `{"org":"acme"}`, ""},
		{"dot path through array", "org.0", "", `{"org":["x"]}`, ""},
		{"dot path missing leaf", "org.id", "", `{"org":{"name":"x"}}`, ""},
		{"missing", "sub", "", `{"email":"a@b.c"}`, ""},
		{"empty claim name", "", "", `{"":"x"}`, ""},
		{"integer", "org_id", "", `{"org_id":42}`, "42"},
		{"negative integer", "n", "", `{"n":-7}`, "-7"},
		{"zero", "n", "", `{"n":0}`, "0"},
		{"negative zero", "n", "", `{"n":-0}`, "0"},
		{"big integer stays exact", "n", "", `{"n":123456789012345678901234567890}`, "123456789012345678901234567890"},
		{"exponent integer", "n", "", `{"n":1e3}`, "1000"},
		{"integral fraction", "n", "", `{"n":1000.000}`, "1000"},
		{"fraction with exponent", "n", "", `{"n":1.5E1}`, "15"},
		{"negative exponent integral", "n", "", `{"n":1500e-2}`, "15"},
		{"non-integral", "n", "", `{"n":1.5}`, ""},
		{"non-integral exponent", "n", "", `{"n":15e-2}`, ""},
		{"huge exponent", "n", "", `{"n":1e999999999}`, ""},
		{"too many digits", "n", "", `{"n":1e255}`, ""},
		{"255 digits", "n", "", `{"n":1e254}`, "1" + strings.Repeat("0", 254)},
		{"bool", "sub", "", `{"sub":true}`, ""},
		{"null", "sub", "", `{"sub":null}`, ""},
		{"object", "sub", "", `{"sub":{"id":"x"}}`, ""},
		{"array", "sub", "", `{"sub":["x"]}`, ""},
		{"empty string", "sub", "", `{"sub":""}`, ""},
		{"empty value with a prefix", "org.id", "org_", `{"org":{"id":""}}`, ""},
		{"space", "sub", "", `{"sub":"a b"}`, ""},
		{"tab", "sub", "", `{"sub":"a\tb"}`, ""},
		{"newline", "sub", "", `{"sub":"a\nb"}`, ""},
		{"DEL", "sub", "", `{"sub":"a\u007fb"}`, ""},
		{"non-ASCII", "sub", "", `{"sub":"café"}`, ""},
		{"prefix with space", "sub", "my org ", `{"sub":"x"}`, ""},
		{"255 bytes", "sub", "", `{"sub":"` + strings.Repeat("a", 255) + `"}`, strings.Repeat("a", 255)},
		{"256 bytes", "sub", "", `{"sub":"` + strings.Repeat("a", 256) + `"}`, ""},
		{"prefix pushes past 255", "sub", "p_", `{"sub":"` + strings.Repeat("a", 254) + `"}`, ""},
		{"punctuation", "sub", "", `{"sub":"auth0|5f7c8ec7c33c6c004bbafe82"}`, "auth0|5f7c8ec7c33c6c004bbafe82"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := defaults()
			m.IDClaim, m.IDPrefix = tt.idClaim, tt.prefix
			got, err := m.Map(claimsJSON(t, tt.claims))
			if tt.want == "" {
				if !errors.Is(err, ErrNoConsumer) {
					t.Fatalf("Map() = %q, %v; want ErrNoConsumer", got.ID, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Map() error = %v", err)
			}
			if got.ID != tt.want {
				t.Errorf("ID = %q, want %q", got.ID, tt.want)
			}
		})
	}
}

// TestMapIDGoTypes covers claims built in Go rather than decoded with
// UseNumber (header mode, or a decoder that yields float64).
func TestMapIDGoTypes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		value any
		want  string
	}{
		{"float64 integral", float64(42), "42"},
		{"float64 large integral", 1e20, "100000000000000000000"},
		{"float64 negative zero", math.Copysign(0, -1), "0"},
		{"float64 fraction", 4.2, ""},
		{"int", 7, "7"},
		{"int64", int64(-9000000000), "-9000000000"},
		{"uint64", uint64(18446744073709551615), "18446744073709551615"},
		{"json.Number leading zeros", json.Number("007"), "7"},
		{"json.Number bad syntax", json.Number("12abc"), ""},
		{"json.Number empty exponent", json.Number("1e"), ""},
		{"json.Number plus sign", json.Number("+1"), ""},
		{"nil", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := defaults().Map(map[string]any{"sub": tt.value})
			if tt.want == "" {
				if !errors.Is(err, ErrNoConsumer) {
					t.Fatalf("Map() = %q, %v; want ErrNoConsumer", got.ID, err)
				}
				return
			}
			if err != nil || got.ID != tt.want {
				t.Fatalf("Map() = %q, %v; want %q", got.ID, err, tt.want)
			}
		})
	}
}

func TestMapMetadata(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		mapping func(*Mapping)
		claims  string
		want    *Metadata
	}{
		{
			name:   "all defaults",
			claims: `{"sub":"u","org_name":"Acme","name":"Ada","email":"ada@acme.test","picture":"https://img.test/a.png"}`,
			want:   &Metadata{AccountName: "Acme", UserName: "Ada", Email: "ada@acme.test", Image: "https://img.test/a.png"},
		},
		{
			name:   "none present",
			claims: `{"sub":"u"}`,
			want:   nil,
		},
		{
			name:   "non-strings left out",
			claims: `{"sub":"u","org_name":42,"name":["Ada"],"email":null,"picture":{"url":"x"}}`,
			want:   nil,
		},
		{
			name:   "partial",
			claims: `{"sub":"u","email":"ada@acme.test","name":true}`,
			want:   &Metadata{Email: "ada@acme.test"},
		},
		{
			name: "custom dot-path claims",
			mapping: func(m *Mapping) {
				m.AccountNameClaim = "org.name"
				m.UserNameClaim = "profile.display"
			},
			claims: `{"sub":"u","org":{"name":"Acme"},"profile":{"display":"Ada L."}}`,
			want:   &Metadata{AccountName: "Acme", UserName: "Ada L."},
		},
		{
			name: "unset claim names map nothing",
			mapping: func(m *Mapping) {
				*m = Mapping{IDClaim: "sub"}
			},
			claims: `{"sub":"u","org_name":"Acme","name":"Ada","email":"e","picture":"p"}`,
			want:   nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := defaults()
			if tt.mapping != nil {
				tt.mapping(&m)
			}
			got, err := m.Map(claimsJSON(t, tt.claims))
			if err != nil {
				t.Fatalf("Map() error = %v", err)
			}
			if diff := cmp.Diff(tt.want, got.Metadata); diff != "" {
				t.Errorf("Metadata mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func FuzzMap(f *testing.F) {
	seeds := []struct{ claims, idClaim, prefix string }{
		{`{"sub":"user_1"}`, "sub", ""},
		{`{"org":{"id":42}}`, "org.id", "org_"},
		{`{"org.id":1e3,"settings":{"a":1}}`, "org.id", ""},
		{`{"sub":1.5e-300}`, "sub", ""},
		{`{"sub":-0.0e10}`, "sub", "x"},
		{`{"sub":[{"a":null}],"settings":"x"}`, "sub", ""},
		{`{"a":{"b":{"c":"\u0000"}}}`, "a.b.c", ""},
	}
	for _, s := range seeds {
		f.Add(s.claims, s.idClaim, s.prefix)
	}
	f.Fuzz(func(t *testing.T, claimsText, idClaim, prefix string) {
		decode := func() map[string]any {
			d := json.NewDecoder(strings.NewReader(claimsText))
			d.UseNumber()
			var m map[string]any
			if d.Decode(&m) != nil {
				return nil
			}
			return m
		}
		claims := decode()
		if claims == nil {
			t.Skip()
		}
		m := Mapping{
			IDClaim: idClaim, IDPrefix: prefix,
			AccountNameClaim: "org_name", UserNameClaim: "name", EmailClaim: "email", ImageClaim: "picture",
			SettingsClaim: "settings",
			BaseSettings:  map[string]any{"base": true},
		}
		c, err := m.Map(claims)
		if err != nil {
			if !errors.Is(err, ErrNoConsumer) {
				t.Fatalf("unexpected error %v", err)
			}
		} else {
			if !ValidID(c.ID) || !strings.HasPrefix(c.ID, prefix) {
				t.Fatalf("invalid consumer id %q", c.ID)
			}
			// "base" is in BaseSettings, so it is always present, from the
			// base or from the claim's object overriding it.
			if _, ok := c.CustomSettings["base"]; !ok {
				t.Fatalf("base settings lost: %v", c.CustomSettings)
			}
		}
		if diff := cmp.Diff(decode(), claims); diff != "" {
			t.Fatalf("claims mutated:\n%s", diff)
		}
		if len(m.BaseSettings) != 1 || m.BaseSettings["base"] != true {
			t.Fatalf("base settings mutated: %v", m.BaseSettings)
		}
	})
}
