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

// QueryProblems checks one documented query, its # comment lines being
// the prose ExprProblems reads.
func QueryProblems(query string, defined []string) []string {
	var comment strings.Builder
	for _, line := range strings.Split(query, "\n") {
		if t := strings.TrimSpace(line); strings.HasPrefix(t, "#") {
			comment.WriteString(t + "\n")
		}
	}
	return ExprProblems(query, comment.String(), defined)
}

// ExprProblems checks a PromQL expression and the prose describing it (a
// query's comment, an alert's summary and description): it parses, selects
// only metrics in defined (or up), and when the prose names public routes
// (/connect, /connections, /connections/events, …) every request-metric
// selector keeps to them — the admin listener is not counted, but
// unmatched paths (route "other") and every other route would be. A
// latency selector must leave out the event stream unless the prose names it.
func ExprProblems(expr, prose string, defined []string) []string {
	e, err := parser.NewParser(parser.Options{}).ParseExpr(expr)
	if err != nil {
		return []string{fmt.Sprintf("does not parse: %v", err)}
	}
	routes := NamedRoutes(prose)
	var problems []string
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		vs, ok := n.(*parser.VectorSelector)
		if !ok {
			return nil
		}
		if name := trimHistogramSuffix(vs.Name); name != "up" && !slices.Contains(defined, name) {
			problems = append(problems, fmt.Sprintf("%s is not a metric the service defines", vs.Name))
		}
		if len(routes) > 0 && slices.Contains(httpMetrics, vs.Name) && !keepsTo(vs.LabelMatchers, routes) {
			problems = append(problems, fmt.Sprintf("%s: the text speaks of %s but the selector does not keep to route=%q",
				vs.String(), strings.Join(routes, ", "), strings.Join(routes, "|")))
		}
		if slices.Contains(latencySeries, vs.Name) && !slices.Contains(routes, streamRoute) &&
			admits(vs.LabelMatchers, streamRoute) {
			problems = append(problems, fmt.Sprintf("%s: counts %s, whose streams stay open for up to an hour, as latency",
				vs.String(), streamRoute))
		}
		return nil
	})
	return problems
}

// routeNameRe finds public routes in prose: /connect, /connections and the
// paths under it, route patterns included.
var routeNameRe = regexp.MustCompile(`/connect(?:ions(?:/[a-z_{}/-]*[a-z_}])?)?`)

// NamedRoutes returns the public routes a text names, in order, each once.
func NamedRoutes(prose string) []string {
	var routes []string
	for _, m := range routeNameRe.FindAllStringIndex(prose, -1) {
		if m[1] < len(prose) && (prose[m[1]] >= 'a' && prose[m[1]] <= 'z') {
			continue // a longer word (/connects)
		}
		if r := prose[m[0]:m[1]]; !slices.Contains(routes, r) {
			routes = append(routes, r)
		}
	}
	return routes
}

// latencySeries are the request-duration series that measure time (its
// _count counts requests).
var latencySeries = []string{
	"vaultgate_http_request_duration_seconds",
	"vaultgate_http_request_duration_seconds_bucket",
	"vaultgate_http_request_duration_seconds_sum",
}

// streamRoute is the live page's event stream: its requests last as long
// as the stream, so they are no measure of latency.
const streamRoute = "/connections/events"

// admits reports whether every route matcher (if any) selects route.
func admits(ms []*labels.Matcher, route string) bool {
	for _, m := range ms {
		if m.Name == "route" && !m.Matches(route) {
			return false
		}
	}
	return true
}

// keepsTo reports whether the matchers select every one of routes and
// filter out unmatched paths.
func keepsTo(ms []*labels.Matcher, routes []string) bool {
	for _, r := range routes {
		if !admits(ms, r) {
			return false
		}
	}
	return slices.ContainsFunc(ms, func(m *labels.Matcher) bool {
		return m.Name == "route" && !m.Matches("other") && !m.Matches("/")
	})
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
