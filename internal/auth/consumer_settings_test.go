package auth

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestMapSettings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		claim       string
		base        string // JSON object or ""
		claims      string
		want        map[string]any
		wantWarning bool
	}{
		{
			name:   "neither",
			claims: `{"sub":"u"}`,
			want:   nil,
		},
		{
			name:   "claim configured but absent",
			claim:  "settings",
			claims: `{"sub":"u"}`,
			want:   nil,
		},
		{
			name:   "base only",
			base:   `{"plan":"pro","tax":21}`,
			claims: `{"sub":"u","settings":{"plan":"free"}}`,
			want:   map[string]any{"plan": "pro", "tax": json.Number("21")},
		},
		{
			name:   "claim only",
			claim:  "settings",
			claims: `{"sub":"u","settings":{"beta":true}}`,
			want:   map[string]any{"beta": true},
		},
		{
			name:   "claim wins, shallow",
			claim:  "settings",
			base:   `{"plan":"pro","limits":{"a":1,"b":2},"region":"eu"}`,
			claims: `{"sub":"u","settings":{"plan":"enterprise","limits":{"a":9}}}`,
			want: map[string]any{
				"plan":   "enterprise",
				"limits": map[string]any{"a": json.Number("9")},
				"region": "eu",
			},
		},
		{
			name:   "dot path claim",
			claim:  "app.settings",
			claims: `{"sub":"u","app":{"settings":{"beta":true}}}`,
			want:   map[string]any{"beta": true},
		},
		{
			name:        "non-object ignored with warning",
			claim:       "settings",
			base:        `{"plan":"pro"}`,
			claims:      `{"sub":"u","settings":"beta=1"}`,
			want:        map[string]any{"plan": "pro"},
			wantWarning: true,
		},
		{
			name:        "array ignored with warning",
			claim:       "settings",
			claims:      `{"sub":"u","settings":[1,2]}`,
			want:        nil,
			wantWarning: true,
		},
		{
			name:        "null ignored with warning",
			claim:       "settings",
			claims:      `{"sub":"u","settings":null}`,
			want:        nil,
			wantWarning: true,
		},
		{
			name:   "empty objects",
			claim:  "settings",
			base:   `{}`,
			claims: `{"sub":"u","settings":{}}`,
			want:   nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := defaults()
			m.SettingsClaim = tt.claim
			if tt.base != "" {
				m.BaseSettings = claimsJSON(t, tt.base)
			}
			got, err := m.Map(claimsJSON(t, tt.claims))
			if err != nil {
				t.Fatalf("Map() error = %v", err)
			}
			if diff := cmp.Diff(tt.want, got.CustomSettings); diff != "" {
				t.Errorf("CustomSettings mismatch (-want +got):\n%s", diff)
			}
			if (got.Warning != "") != tt.wantWarning {
				t.Errorf("Warning = %q, want warning: %v", got.Warning, tt.wantWarning)
			}
		})
	}
}

// TestWarningHoldsNoValue guards the promise that Warning is safe to log.
func TestWarningHoldsNoValue(t *testing.T) {
	t.Parallel()
	m := defaults()
	m.SettingsClaim = "settings"
	got, err := m.Map(map[string]any{"sub": "u", "settings": "tenant-secret-xyz"})
	if err != nil {
		t.Fatal(err)
	}
	if got.Warning == "" || strings.Contains(got.Warning, "tenant-secret-xyz") {
		t.Errorf("Warning = %q: want a warning without the claim value", got.Warning)
	}
}

// TestMapDoesNotMutate checks that neither the claims nor the base settings
// change, and that the result does not alias the base map.
func TestMapDoesNotMutate(t *testing.T) {
	t.Parallel()
	const claimsText = `{"sub":"u","settings":{"plan":"enterprise"},"org_name":"Acme"}`
	const baseText = `{"plan":"pro","region":"eu"}`
	claims := claimsJSON(t, claimsText)
	base := claimsJSON(t, baseText)
	m := defaults()
	m.SettingsClaim = "settings"
	m.BaseSettings = base

	got, err := m.Map(claims)
	if err != nil {
		t.Fatal(err)
	}
	got.CustomSettings["injected"] = true
	if diff := cmp.Diff(claimsJSON(t, claimsText), claims); diff != "" {
		t.Errorf("claims changed (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff(claimsJSON(t, baseText), base); diff != "" {
		t.Errorf("base settings changed (-before +after):\n%s", diff)
	}
	again, err := m.Map(claims)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := again.CustomSettings["injected"]; ok {
		t.Error("a previous result's settings leaked into the next one")
	}
}

func TestValidID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		id   string
		want bool
	}{
		{"", false},
		{"a", true},
		{"!~", true},
		{" ", false},
		{"a\x00", false},
		{"\x7f", false},
		{"é", false},
		{strings.Repeat("x", 255), true},
		{strings.Repeat("x", 256), false},
	}
	for _, tt := range tests {
		if got := ValidID(tt.id); got != tt.want {
			t.Errorf("ValidID(%q) = %v, want %v", tt.id, got, tt.want)
		}
	}
}
