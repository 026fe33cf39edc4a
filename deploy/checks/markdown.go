package checks

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// MarkdownAnchors returns the anchors GitHub generates for the headings of
// a Markdown document: lower case, punctuation other than '-' and '_'
// dropped, spaces turned into '-'; repeated headings get -1, -2, ….
func MarkdownAnchors(md string) map[string]bool {
	anchors := map[string]bool{}
	seen := map[string]int{}
	inFence := false
	for _, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			inFence = !inFence
			continue
		}
		if inFence || !strings.HasPrefix(line, "#") {
			continue
		}
		text := strings.TrimSpace(strings.TrimLeft(line, "#"))
		var b strings.Builder
		for _, r := range strings.ToLower(text) {
			switch {
			case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_':
				b.WriteRune(r)
			case r == ' ':
				b.WriteRune('-')
			}
		}
		a := b.String()
		if n := seen[a]; n > 0 {
			anchors[a+"-"+strconv.Itoa(n)] = true
		} else {
			anchors[a] = true
		}
		seen[a]++
	}
	return anchors
}

// CodeBlock is one fenced code block of a Markdown document.
type CodeBlock struct {
	Lang string // first word of the info string: sh, promql, yaml, …
	Text string // the content, without the fence's indentation
	Line int    // line of the opening fence, from 1
}

// CodeBlocks returns the fenced (```) code blocks of a Markdown document,
// including those indented inside list items.
func CodeBlocks(md string) []CodeBlock {
	var blocks []CodeBlock
	var cur *CodeBlock
	indent := ""
	var body []string
	for i, line := range strings.Split(md, "\n") {
		trimmed := strings.TrimLeft(line, " ")
		if cur == nil {
			if strings.HasPrefix(trimmed, "```") {
				info := strings.Fields(strings.TrimPrefix(trimmed, "```"))
				cur = &CodeBlock{Line: i + 1}
				if len(info) > 0 {
					cur.Lang = info[0]
				}
				indent, body = line[:len(line)-len(trimmed)], nil
			}
			continue
		}
		if strings.HasPrefix(trimmed, "```") && strings.Trim(trimmed, "`") == "" {
			cur.Text = strings.Join(body, "\n") + "\n"
			blocks = append(blocks, *cur)
			cur = nil
			continue
		}
		body = append(body, strings.TrimPrefix(line, indent))
	}
	return blocks
}

// Span is a piece of a Markdown document with the line it starts on.
type Span struct {
	Text string
	Line int
}

// InlineCode returns the inline code spans outside fenced blocks; a span
// wrapped over lines is joined with spaces.
func InlineCode(md string) []Span {
	var spans []Span
	prose := withoutFences(md)
	line := 1
	for i := 0; i < len(prose); {
		if prose[i] == '\n' {
			line++
		}
		if prose[i] != '`' {
			i++
			continue
		}
		n := 0
		for i+n < len(prose) && prose[i+n] == '`' {
			n++
		}
		fence := prose[i : i+n]
		end := strings.Index(prose[i+n:], fence)
		if end < 0 {
			i += n
			continue
		}
		text := prose[i+n : i+n+end]
		spans = append(spans, Span{Text: strings.TrimSpace(strings.ReplaceAll(text, "\n", " ")), Line: line})
		line += strings.Count(text, "\n")
		i += n + end + n
	}
	return spans
}

// RelativeLinks returns the targets of the document's links and images that
// point into the repository (not to a URL or an anchor of the same page),
// without their #fragment.
func RelativeLinks(md string) []Span {
	var links []Span
	re := regexp.MustCompile(`\]\(([^)\s]+)\)`)
	for i, line := range strings.Split(withoutFences(md), "\n") {
		for _, m := range re.FindAllStringSubmatch(line, -1) {
			target, _, _ := strings.Cut(m[1], "#")
			if target == "" || strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			links = append(links, Span{Text: target, Line: i + 1})
		}
	}
	return links
}

// withoutFences blanks the lines of fenced code blocks, keeping the line
// count, so prose scanners see prose only.
func withoutFences(md string) string {
	lines := strings.Split(md, "\n")
	inFence := false
	for i, line := range lines {
		fence := strings.HasPrefix(strings.TrimSpace(line), "```")
		if fence || inFence {
			lines[i] = ""
		}
		if fence {
			inFence = !inFence
		}
	}
	return strings.Join(lines, "\n")
}
