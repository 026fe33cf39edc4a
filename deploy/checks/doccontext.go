package checks

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// DocContext is what the commands documented in the README and the runbook
// are checked against, read from the repository (and, when it lies beside
// the repository, the product contract's SPEC.md).
type DocContext struct {
	Root string
	// VaultgateVars are the variables vaultgate reads: the contract's
	// configuration table, every VARIABLE_NAME string in the service's code
	// (its configuration list, the OTEL_* and DEMO_* names) and the README's
	// configuration tables, which the config package's own test holds to
	// what the code reads (names built in code, such as *_FILE, included).
	VaultgateVars map[string]bool
	// ToolVars are variables of the Go toolchain, the shell and the
	// repository's scripts, which commands may set as well.
	ToolVars map[string]bool
	// Images are the image names the Kubernetes manifests use.
	Images map[string]bool

	topLevel map[string]bool
}

var (
	envNameRe    = regexp.MustCompile(`^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$`)
	goStringRe   = regexp.MustCompile(`"([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)"`)
	scriptVarRe  = regexp.MustCompile(`\$\{?([A-Z][A-Z0-9_]*)`)
	backtickedRe = regexp.MustCompile("`([^`]+)`")
	imageLineRe  = regexp.MustCompile(`(?m)^\s*image:\s*"?([^\s:@"]+)`)
)

// toolVars are the variables of the Go toolchain and the environment that a
// documented command may set beside vaultgate's own.
var toolVars = []string{
	"CGO_ENABLED", "GOARCH", "GOCACHE", "GOFLAGS", "GOMODCACHE", "GOOS", "GOPATH", "GOPROXY",
	"GOTOOLCHAIN", "GOWORK", "CI", "HOME", "PATH", "TMPDIR", "DOCKER_BUILDKIT", "KUBECONFIG",
}

// NewDocContext reads the context from the repository at root.
func NewDocContext(root string) (*DocContext, error) {
	c := &DocContext{
		Root:          root,
		VaultgateVars: map[string]bool{},
		ToolVars:      map[string]bool{},
		Images:        map[string]bool{},
		topLevel:      map[string]bool{},
	}
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		c.topLevel[e.Name()] = true
	}
	for _, v := range toolVars {
		c.ToolVars[v] = true
	}
	if err := c.readCodeVars(); err != nil {
		return nil, err
	}
	// The contract sits beside the repository in a checkout of the whole
	// project; a clone of the repository alone still has the code's list.
	if spec, err := os.ReadFile(filepath.Join(root, "..", "shared", "SPEC.md")); err == nil {
		for _, name := range TableVariables(string(spec)) {
			c.VaultgateVars[name] = true
		}
	}
	readme := c.read("README.md")
	if _, section, ok := strings.Cut(readme, "<!-- config:start -->"); ok {
		section, _, _ = strings.Cut(section, "<!-- config:end -->")
		for _, name := range TableVariables(section) {
			c.VaultgateVars[name] = true
		}
	}
	scripts, _ := filepath.Glob(filepath.Join(root, "scripts", "*.sh"))
	for _, f := range append(scripts, filepath.Join(root, ".ci", "run")) {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, m := range scriptVarRe.FindAllStringSubmatch(string(b), -1) {
			c.ToolVars[m[1]] = true
		}
	}
	err = filepath.WalkDir(filepath.Join(root, "deploy", "kubernetes"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".yaml") {
			return err
		}
		b, err := os.ReadFile(p)
		for _, m := range imageLineRe.FindAllStringSubmatch(string(b), -1) {
			c.Images[m[1]] = true
		}
		return err
	})
	return c, err
}

// readCodeVars adds the variable names of the service's code.
func (c *DocContext) readCodeVars() error {
	names, err := CodeVariables(c.Root)
	if err != nil {
		return err
	}
	if len(names) < 20 {
		return fmt.Errorf("found only %d variable names in the service's code", len(names))
	}
	for _, n := range names {
		c.VaultgateVars[n] = true
	}
	return nil
}

// CodeVariables returns the VARIABLE_NAME strings in the service's Go code
// (internal/ and cmd/, tests left out), sorted: the variables it reads,
// whichever package reads them.
func CodeVariables(root string) ([]string, error) {
	var names []string
	for _, dir := range []string{"internal", "cmd"} {
		err := filepath.WalkDir(filepath.Join(root, dir), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
				return err
			}
			b, err := os.ReadFile(p)
			for _, m := range goStringRe.FindAllStringSubmatch(string(b), -1) {
				names = append(names, m[1])
			}
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	slices.Sort(names)
	return slices.Compact(names), nil
}

// TableVariables returns the variables named in the first column of a
// Markdown document's tables (`APIDECK_API_KEY`, `AUTH_JWKS_URL` / `AUTH_OIDC_ISSUER`, …).
func TableVariables(md string) []string {
	var names []string
	for _, line := range strings.Split(md, "\n") {
		cells := strings.Split(line, "|")
		if !strings.HasPrefix(line, "|") || len(cells) < 3 {
			continue
		}
		for _, m := range backtickedRe.FindAllStringSubmatch(cells[1], -1) {
			if envNameRe.MatchString(m[1]) {
				names = append(names, m[1])
			}
		}
	}
	return names
}

// isRepoPath reports whether p (relative to the repository root, cleaned)
// names something inside the repository: its first element is one of the
// repository's top-level entries. Other relative paths are the reader's
// own files (./apideck_api_key).
func (c *DocContext) isRepoPath(p string) bool {
	if p == "." || path.IsAbs(p) || strings.HasPrefix(p, "..") {
		return false
	}
	first, _, _ := strings.Cut(p, "/")
	return c.topLevel[first]
}

// exists reports whether the repository-relative path p exists.
func (c *DocContext) exists(p string) bool {
	_, err := os.Stat(filepath.Join(c.Root, filepath.FromSlash(p)))
	return err == nil
}

// read returns a repository file's text, or "" when it cannot be read.
func (c *DocContext) read(p string) string {
	b, err := os.ReadFile(filepath.Join(c.Root, filepath.FromSlash(p)))
	if err != nil {
		return ""
	}
	return string(b)
}
