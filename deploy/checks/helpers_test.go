package checks

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// repoRoot returns the repository root (tests run in deploy/checks).
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := RepoRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// readRepoFile reads a file given relative to the repository root.
func readRepoFile(t *testing.T, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// serviceMetrics returns the metric names the service registers; it fails
// the test when there are implausibly few (the pattern no longer matches).
func serviceMetrics(t *testing.T) []string {
	t.Helper()
	names, err := ServiceMetrics(repoRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(names) < 10 {
		t.Fatalf("found only %d vaultgate_ metrics in the service's Go code: %q", len(names), names)
	}
	return names
}

// parseDockerfile parses Dockerfile text, failing the test on a syntax error.
func parseDockerfile(t *testing.T, text string) *Dockerfile {
	t.Helper()
	d, err := ParseDockerfile(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// containsAny reports whether any of list contains sub.
func containsAny(list []string, sub string) bool {
	for _, s := range list {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
