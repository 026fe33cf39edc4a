package checks

import (
	"strings"
	"testing"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

// TestDockerignore matches paths against .dockerignore with the matcher
// BuildKit uses, so what is asserted is what reaches the build context.
func TestDockerignore(t *testing.T) {
	patterns, err := ignorefile.ReadAll(strings.NewReader(readRepoFile(t, ".dockerignore")))
	if err != nil {
		t.Fatal(err)
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path     string
		excluded bool
	}{
		{".git/config", true},
		{".env", true},
		{".env.local", true},
		{"internal/config/.env", true},
		{"server.pem", true},
		{"certs/tls.key", true},
		{"secrets/apideck_api_key", true},
		{"internal/demo/secrets/key.txt", true},
		{"deploy/compose/secrets/apideck_api_key.example", true},
		{"deploy/kubernetes/base/deployment.yaml", true},
		{"bench/load.js", true},
		{"artifacts/report.html", true},
		{"internal/app/app.test", true},
		{"vaultgate", true},
		{"docs/operations.md", true},

		{"go.mod", false},
		{"go.sum", false},
		{"cmd/server/main.go", false},
		{"internal/app/run.go", false},
		{"internal/demo/pages.go", false},
		{"internal/handler/testdata/openredirects.txt", false},
	}
	for _, tt := range tests {
		got, err := pm.MatchesOrParentMatches(tt.path)
		if err != nil {
			t.Fatal(err)
		}
		if got != tt.excluded {
			t.Errorf("%s: excluded = %v, want %v", tt.path, got, tt.excluded)
		}
	}
}
