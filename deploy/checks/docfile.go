package checks

import (
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"
)

// shellLangs are the info strings of fenced blocks holding shell.
var shellLangs = []string{"sh", "bash", "shell", "console"}

// commandWords start the inline code spans that are commands rather than
// names or values (`go run ./cmd/server -demo`, `kubectl -n vaultgate get pods`).
var commandWords = []string{"go", "docker", "kubectl", "kustomize", "curl", "git"}

// DocumentProblems checks one Markdown document (docPath relative to the
// repository root) with what can be checked without running anything:
// its shell (fenced blocks, and inline spans that are commands) by the
// DocCheck rules, its PromQL against the metrics the service defines, the
// metrics its inline code names, and its links into the repository.
func DocumentProblems(c *DocContext, docPath, md string, metrics []string) []string {
	var problems []string
	add := func(line int, format string, args ...any) {
		problems = append(problems, fmt.Sprintf("%s:%d: ", docPath, line)+fmt.Sprintf(format, args...))
	}

	type snippet struct {
		line   int
		text   string
		fenced bool
	}
	var snippets []snippet
	for _, b := range CodeBlocks(md) {
		switch {
		case slices.Contains(shellLangs, b.Lang):
			snippets = append(snippets, snippet{b.Line + 1, b.Text, true})
		case b.Lang == "promql":
			for _, q := range queryParagraphs(b.Text) {
				for _, p := range QueryProblems(q, metrics) {
					add(b.Line, "query %q: %s", firstLine(q), p)
				}
			}
		}
	}
	for _, s := range InlineCode(md) {
		snippets = append(snippets, snippet{s.Line, s.Text, false})
	}
	// In reading order, so what a block creates exists for what follows.
	sort.SliceStable(snippets, func(i, j int) bool { return snippets[i].line < snippets[j].line })
	doc := c.NewDoc()
	for _, s := range snippets {
		parsed, err := ParseShell(s.text)
		if !s.fenced && (err != nil || !isCommand(parsed)) {
			continue
		}
		if err != nil {
			add(s.line, "shell does not parse: %v", err)
			continue
		}
		for _, p := range doc.Snippet(parsed) {
			add(s.line, "%s", p)
		}
	}

	for _, m := range MentionedMetrics(md) {
		if !slices.Contains(metrics, m.Text) {
			add(m.Line, "%s is not a metric the service defines", m.Text)
		}
	}
	for _, l := range RelativeLinks(md) {
		if p := path.Join(path.Dir(docPath), l.Text); !c.exists(p) {
			add(l.Line, "link to %s: no such file", p)
		}
	}
	return problems
}

// isCommand reports whether an inline snippet is a command to check.
func isCommand(s *ShellSnippet) bool {
	if len(s.Commands) == 0 {
		return false
	}
	name := s.Commands[0].Args[0]
	return slices.Contains(commandWords, name) || strings.HasPrefix(name, "./")
}

// queryParagraphs splits a promql block into its blank-line-separated
// queries.
func queryParagraphs(text string) []string {
	var out []string
	for _, para := range strings.Split(text, "\n\n") {
		if strings.TrimSpace(para) != "" {
			out = append(out, para)
		}
	}
	return out
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return line
}
