package checks

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCodeBlocks(t *testing.T) {
	doc := "# T\n\n```sh\ngo run ./cmd/server -demo\n```\n\n1. Step:\n\n   ```sh\n   kubectl -n vaultgate get pods\n   ```\n\n```\nplain\n```\n"
	want := []CodeBlock{
		{Lang: "sh", Text: "go run ./cmd/server -demo\n", Line: 3},
		{Lang: "sh", Text: "kubectl -n vaultgate get pods\n", Line: 9},
		{Lang: "", Text: "plain\n", Line: 13},
	}
	if diff := cmp.Diff(want, CodeBlocks(doc)); diff != "" {
		t.Errorf("CodeBlocks (-want +got):\n%s", diff)
	}
}

func TestInlineCodeAndLinks(t *testing.T) {
	doc := "Run `go test\n-short ./...` and ``a `b` c``.\n```sh\n`not inline`\n```\nSee [the runbook](docs/operations.md#alerts), [x](https://example.com), [y](#top), ![i](docs/demo.png).\n"
	wantCode := []Span{{Text: "go test -short ./...", Line: 1}, {Text: "a `b` c", Line: 2}}
	if diff := cmp.Diff(wantCode, InlineCode(doc)); diff != "" {
		t.Errorf("InlineCode (-want +got):\n%s", diff)
	}
	wantLinks := []Span{{Text: "docs/operations.md", Line: 6}, {Text: "docs/demo.png", Line: 6}}
	if diff := cmp.Diff(wantLinks, RelativeLinks(doc)); diff != "" {
		t.Errorf("RelativeLinks (-want +got):\n%s", diff)
	}
}
