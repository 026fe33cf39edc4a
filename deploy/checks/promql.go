package checks

import (
	"regexp"
	"strings"

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
			name := vs.Name
			for _, suffix := range []string{"_bucket", "_sum", "_count"} {
				if strings.HasPrefix(name, "vaultgate_") && strings.HasSuffix(name, suffix) {
					name = strings.TrimSuffix(name, suffix)
					break
				}
			}
			names = append(names, name)
		}
		return nil
	})
	return names, nil
}
