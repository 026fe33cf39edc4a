package config

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestREADMEListsEveryVariable keeps the README's configuration tables and
// the code in step: every variable the code reads has a row, and every row
// names a variable that is read.
func TestREADMEListsEveryVariable(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "<!-- config:start -->")
	section, _, ok2 := strings.Cut(section, "<!-- config:end -->")
	if !ok || !ok2 {
		t.Fatal("README.md lacks the config:start/config:end markers")
	}
	// The first column holds one or more `VARIABLE`s.
	name := regexp.MustCompile("`([A-Z][A-Z0-9_]*)`")
	var documented []string
	for line := range strings.SplitSeq(section, "\n") {
		if !strings.HasPrefix(line, "|") {
			continue
		}
		cells := strings.Split(line, "|")
		if len(cells) < 3 {
			continue
		}
		first := strings.TrimSpace(cells[1])
		if first == "Variable" || strings.Trim(first, "-") == "" {
			continue
		}
		matches := name.FindAllStringSubmatch(first, -1)
		if len(matches) == 0 {
			t.Errorf("table row without a `VARIABLE` in its first column: %q", line)
		}
		for _, m := range matches {
			documented = append(documented, m[1])
		}
	}
	rows := map[string]int{}
	for _, n := range documented {
		if rows[n]++; rows[n] == 2 {
			t.Errorf("%s has more than one row", n)
		}
	}
	if diff := cmp.Diff(sorted(varNames()), slices.Compact(sorted(documented))); diff != "" {
		t.Errorf("README configuration tables vs variables read (-read +documented):\n%s", diff)
	}
}
