package redirect

import (
	"os"
	"strings"
	"testing"
)

// corpusLines is the number of lines in testdata/openredirects.txt,
// counted (wc -l) rather than taken from its README. The first line is
// empty, which is itself a payload (an empty redirect); the other 558 are
// not.
const corpusLines = 559

// TestOpenRedirectCorpus runs oauth2-proxy's open-redirect payloads against
// the prefix they were written to escape. Every one must be refused.
func TestOpenRedirectCorpus(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("testdata/openredirects.txt")
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	if !strings.HasSuffix(text, "\n") {
		t.Fatal("corpus does not end in a newline; line count would be off by one")
	}
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) != corpusLines {
		t.Fatalf("corpus has %d lines, want %d", len(lines), corpusLines)
	}
	empty := 0
	for _, l := range lines {
		if l == "" {
			empty++
		}
	}
	if empty != 1 {
		t.Fatalf("corpus has %d empty lines, want 1", empty)
	}

	a := mustNew(t, "https://www.whitelisteddomain.tld/")
	refused := 0
	for i, payload := range lines {
		if got, err := a.Check(payload); err == nil {
			t.Errorf("line %d: %q accepted as %q", i+1, payload, got)
			continue
		}
		refused++
	}
	if refused != corpusLines {
		t.Errorf("refused %d of %d payloads", refused, corpusLines)
	}
}
