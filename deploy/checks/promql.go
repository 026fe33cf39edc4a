package checks

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
)

// DefinedMetrics returns the vaultgate_ metric names a Go source file
// registers (the Name fields of its collector options).
func DefinedMetrics(goSource string) []string {
	re := regexp.MustCompile(`Name:\s*"(vaultgate_[a-z0-9_]+)"`)
	var names []string
	for _, m := range re.FindAllStringSubmatch(goSource, -1) {
		names = append(names, m[1])
	}
	return names
}

// ServiceMetrics returns the vaultgate_ metric names registered anywhere in
// the service's Go code (internal/ and cmd/ below root, tests left out),
// sorted and without duplicates. Each package may define its own metrics, so
// no single file is the list.
func ServiceMetrics(root string) ([]string, error) {
	var names []string
	for _, dir := range []string{"internal", "cmd"} {
		err := filepath.WalkDir(filepath.Join(root, dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			names = append(names, DefinedMetrics(string(b))...)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	slices.Sort(names)
	return slices.Compact(names), nil
}

// PromQLMetrics parses a PromQL expression and returns the metric names it
// selects, with the _bucket/_sum/_count suffixes of histogram series
// removed so they compare with the registered names.
func PromQLMetrics(expr string) ([]string, error) {
	e, err := parser.NewParser(parser.Options{}).ParseExpr(expr)
	if err != nil {
		return nil, err
	}
	var names []string
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		if vs, ok := n.(*parser.VectorSelector); ok {
			names = append(names, trimHistogramSuffix(vs.Name))
		}
		return nil
	})
	return names, nil
}

// httpMetrics are the series of the public listener's request metrics,
// labelled by route.
var httpMetrics = []string{
	"vaultgate_http_requests_total",
	"vaultgate_http_request_duration_seconds_bucket",
	"vaultgate_http_request_duration_seconds_sum",
	"vaultgate_http_request_duration_seconds_count",
}

// QueryProblems checks one documented query (its # comment lines
// included): it parses, selects only metrics in defined (or up), and when
// its comment speaks of /connect, every request-metric selector keeps to
// route="/connect" — the admin listener is not counted, but unmatched
// paths (route "other") and any later route would be.
func QueryProblems(query string, defined []string) []string {
	e, err := parser.NewParser(parser.Options{}).ParseExpr(query)
	if err != nil {
		return []string{fmt.Sprintf("does not parse: %v", err)}
	}
	var comment strings.Builder
	for _, line := range strings.Split(query, "\n") {
		if t := strings.TrimSpace(line); strings.HasPrefix(t, "#") {
			comment.WriteString(t)
		}
	}
	aboutConnect := strings.Contains(comment.String(), "/connect")
	var problems []string
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		vs, ok := n.(*parser.VectorSelector)
		if !ok {
			return nil
		}
		if name := trimHistogramSuffix(vs.Name); name != "up" && !slices.Contains(defined, name) {
			problems = append(problems, fmt.Sprintf("%s is not a metric the service defines", vs.Name))
		}
		if aboutConnect && slices.Contains(httpMetrics, vs.Name) && !keepsToConnect(vs.LabelMatchers) {
			problems = append(problems, fmt.Sprintf("%s: the query speaks of /connect but does not filter route=\"/connect\"", vs.String()))
		}
		return nil
	})
	return problems
}

// keepsToConnect reports whether the matchers select route /connect and
// not the other routes.
func keepsToConnect(ms []*labels.Matcher) bool {
	for _, m := range ms {
		if m.Name == "route" && m.Matches("/connect") && !m.Matches("other") && !m.Matches("/") {
			return true
		}
	}
	return false
}

// MentionedMetrics returns the vaultgate_ metric names mentioned in a
// document's inline code, histogram suffixes removed.
func MentionedMetrics(md string) []Span {
	re := regexp.MustCompile(`\bvaultgate_[a-z0-9_]*[a-z0-9]`)
	var out []Span
	for _, s := range InlineCode(md) {
		for _, m := range re.FindAllString(s.Text, -1) {
			out = append(out, Span{Text: trimHistogramSuffix(m), Line: s.Line})
		}
	}
	return out
}

func trimHistogramSuffix(name string) string {
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if strings.HasPrefix(name, "vaultgate_") && strings.HasSuffix(name, suffix) {
			return strings.TrimSuffix(name, suffix)
		}
	}
	return name
}
