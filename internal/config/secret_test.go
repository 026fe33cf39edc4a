package config

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/rs/zerolog"
)

func TestSecretNeverPrints(t *testing.T) {
	const raw = "sk_live_do_not_print"
	s := NewSecret(raw)
	type wrapper struct{ Key Secret }
	var logged strings.Builder
	l := zerolog.New(&logged)
	l.Info().Interface("w", wrapper{s}).Stringer("s", s).Msg("x")
	j, err := json.Marshal(wrapper{s})
	if err != nil {
		t.Fatal(err)
	}
	outs := []string{
		fmt.Sprint(s), fmt.Sprintf("%v %+v %#v %s %q", s, s, s, s, s),
		fmt.Sprintf("%v %+v %#v", wrapper{s}, wrapper{s}, wrapper{s}),
		string(j), logged.String(),
	}
	for _, out := range outs {
		if strings.Contains(out, raw) {
			t.Errorf("secret leaked: %s", out)
		}
		if !strings.Contains(out, redacted) {
			t.Errorf("expected %s in %s", redacted, out)
		}
	}
	if s.Reveal() != raw {
		t.Fatal("Reveal must return the raw value")
	}
	if !NewSecret("").IsZero() || s.IsZero() {
		t.Fatal("IsZero wrong")
	}
}
