package consumer

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

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
