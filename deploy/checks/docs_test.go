package checks

import (
	"regexp"
	"strings"
	"testing"
)

// TestRunbookCoversCodesAndMetrics keeps docs/operations.md in step with
// the contract's error codes and with the metrics the service registers.
func TestRunbookCoversCodesAndMetrics(t *testing.T) {
	doc := readRepoFile(t, "docs/operations.md")
	rows := tableFirstCells(doc)

	t.Run("every error code has a row", func(t *testing.T) {
		codes := []string{
			"auth_unavailable", "cross_site", "prefetch_refused", "unauthenticated", "no_consumer",
			"invalid_redirect_uri", "invalid_unified_apis", "invalid_request", "rate_limited",
			"upstream_auth", "upstream_payment_required", "upstream_rejected", "upstream_busy",
			"upstream_unavailable", "upstream_timeout", "upstream_invalid_response",
		}
		for _, c := range codes {
			if !rows["`"+c+"`"] {
				t.Errorf("no table row for error code %s", c)
			}
		}
	})
	t.Run("every registered metric has a row", func(t *testing.T) {
		for _, m := range serviceMetrics(t) {
			if !rows["`"+m+"`"] {
				t.Errorf("metrics reference lacks %s", m)
			}
		}
	})
	t.Run("internal links resolve", func(t *testing.T) {
		anchors := MarkdownAnchors(doc)
		for _, m := range regexp.MustCompile(`\]\(#([^)]+)\)`).FindAllStringSubmatch(doc, -1) {
			if !anchors[m[1]] {
				t.Errorf("link to #%s has no heading", m[1])
			}
		}
	})
	t.Run("example queries parse", func(t *testing.T) {
		for _, q := range promqlBlocks(doc) {
			if _, err := PromQLMetrics(q); err != nil {
				t.Errorf("query %q: %v", q, err)
			}
		}
	})
}

// tableFirstCells returns the first cell of every Markdown table row.
func tableFirstCells(doc string) map[string]bool {
	cells := map[string]bool{}
	for _, line := range strings.Split(doc, "\n") {
		if !strings.HasPrefix(line, "|") {
			continue
		}
		if parts := strings.Split(line, "|"); len(parts) > 2 {
			cells[strings.TrimSpace(parts[1])] = true
		}
	}
	return cells
}

// promqlBlocks returns the expressions of ```promql fences, one per
// blank-line-separated paragraph.
func promqlBlocks(doc string) []string {
	var out []string
	for _, block := range regexp.MustCompile("(?s)```promql\n(.*?)```").FindAllStringSubmatch(doc, -1) {
		for _, para := range strings.Split(block[1], "\n\n") {
			if strings.TrimSpace(para) != "" {
				out = append(out, para)
			}
		}
	}
	return out
}

func TestMarkdownAnchors(t *testing.T) {
	doc := "# Operating vaultgate\n## Rotating the Apideck API key\n```sh\n# not a heading\n```\n### VaultgateDown\n## Notes\n## Notes\n"
	got := MarkdownAnchors(doc)
	for _, want := range []string{"operating-vaultgate", "rotating-the-apideck-api-key", "vaultgatedown", "notes", "notes-1"} {
		if !got[want] {
			t.Errorf("anchor %q missing from %v", want, got)
		}
	}
	if got["not-a-heading"] {
		t.Error("a comment in a code fence became a heading")
	}
}
