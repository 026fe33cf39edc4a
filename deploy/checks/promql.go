package checks

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
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
