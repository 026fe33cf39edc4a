package app

import (
	"maps"
	"os"
	"regexp"
	"strings"
	"testing"
)

const exampleReadmePath = "../../README.md"

// exampleVarName is what a line of an example block must assign to.
var exampleVarName = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)

// readExampleReadme returns README.md with its line endings normalised.
func readExampleReadme(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(exampleReadmePath)
	if err != nil {
		t.Fatal(err)
	}
	return strings.ReplaceAll(string(b), "\r\n", "\n")
}

// readmeExample returns the KEY=VALUE lines of the ```sh block that directly
// follows the README marker <!-- example:name -->. Anything the test could
// misread (a missing or repeated marker, a line that is not an assignment, a
// quoted value, a variable set twice or one the README's configuration
// tables do not document) fails the test rather than being skipped.
func readmeExample(t *testing.T, name string) map[string]string {
	t.Helper()
	text := readExampleReadme(t)
	marker := "<!-- example:" + name + " -->"
	if n := strings.Count(text, marker); n != 1 {
		t.Fatalf("README.md has %d %s markers, want exactly 1", n, marker)
	}
	_, after, _ := strings.Cut(text, marker)
	body, ok := strings.CutPrefix(strings.TrimLeft(after, " \t\n"), "```sh\n")
	if !ok {
		t.Fatalf("README.md: %s is not directly followed by a ```sh block", marker)
	}
	block, _, ok := strings.Cut(body, "\n```")
	if !ok {
		t.Fatalf("README.md: the block after %s is not closed", marker)
	}
	documented := documentedVariables(t, text)
	vars := map[string]string{}
	for line := range strings.SplitSeq(block, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		switch {
		case !ok || !exampleVarName.MatchString(key):
			t.Fatalf("README.md example %s: %q is not a KEY=VALUE line", name, line)
		case strings.ContainsAny(value, "\"'$` \t"):
			t.Fatalf("README.md example %s: %s has a quoted, expanded or spaced value, which this test does not parse", name, key)
		case !documented[key]:
			// vaultgate ignores variables it does not read, so a typo
			// would silently fall back to a default.
			t.Fatalf("README.md example %s: %s is not in the README's configuration tables", name, key)
		}
		if _, dup := vars[key]; dup {
			t.Fatalf("README.md example %s sets %s twice", name, key)
		}
		vars[key] = value
	}
	if len(vars) == 0 {
		t.Fatalf("README.md example %s sets no variables", name)
	}
	return vars
}

// documentedVariables is the set of `VARIABLE`s in the README's
// configuration section, which the config package's own test keeps equal to
// the variables vaultgate reads.
func documentedVariables(t *testing.T, text string) map[string]bool {
	t.Helper()
	_, section, ok := strings.Cut(text, "<!-- config:start -->")
	section, _, ok2 := strings.Cut(section, "<!-- config:end -->")
	if !ok || !ok2 {
		t.Fatal("README.md lacks the config:start/config:end markers")
	}
	names := map[string]bool{}
	for _, m := range regexp.MustCompile("`([A-Z][A-Z0-9_]*)`").FindAllStringSubmatch(section, -1) {
		names[m[1]] = true
	}
	return names
}

// hostSwap points one variable of an example at a loopback stand-in.
type hostSwap struct {
	Var, Old, New string
}

// swapHosts applies swaps to a copy of vars. A swap whose variable is absent
// or whose value does not contain Old fails the test, so an edited README
// cannot quietly send the test to a real host or skip a stand-in.
func swapHosts(t *testing.T, vars map[string]string, swaps ...hostSwap) map[string]string {
	t.Helper()
	out := maps.Clone(vars)
	for _, s := range swaps {
		v, ok := out[s.Var]
		if !ok {
			t.Fatalf("README example lacks %s, which the test replaces", s.Var)
		}
		if !strings.Contains(v, s.Old) {
			t.Fatalf("README example's %s = %q no longer contains %q", s.Var, v, s.Old)
		}
		out[s.Var] = strings.ReplaceAll(v, s.Old, s.New)
	}
	return out
}
