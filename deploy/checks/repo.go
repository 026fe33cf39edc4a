package checks

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
)

// serviceModule is the module line the repository root's go.mod must carry.
const serviceModule = "module github.com/vaultgate/vaultgate\n"

// RepoRoot returns the repository root, found from dir (a directory inside
// deploy/) by walking up to the go.mod of the service module. Walking up,
// rather than assuming "../..", keeps it right for any package depth.
func RepoRoot(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for d := abs; ; {
		b, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil && bytes.HasPrefix(b, []byte(serviceModule)) {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("no go.mod of github.com/vaultgate/vaultgate above %s", abs)
		}
		d = parent
	}
}
