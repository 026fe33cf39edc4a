package checks

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1"
)

// labelsOf returns an object's metadata labels.
func labelsOf(o Object) map[string]string {
	if m, ok := o.Value.(v1.Object); ok {
		return m.GetLabels()
	}
	return nil
}

// namespaceOf returns an object's namespace.
func namespaceOf(o Object) string {
	if m, ok := o.Value.(v1.Object); ok {
		return m.GetNamespace()
	}
	return ""
}

// splitImage splits an image reference into name and tag (or digest).
func splitImage(image string) (name, tag string) {
	if n, d, ok := strings.Cut(image, "@"); ok {
		return n, d
	}
	i := strings.LastIndex(image, ":")
	if i < 0 || strings.Contains(image[i:], "/") {
		return image, ""
	}
	return image[:i], image[i+1:]
}

func derefOr[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}

func TestSplitImage(t *testing.T) {
	tests := []struct{ in, name, tag string }{
		{"ghcr.io/vaultgate/vaultgate:0.1.0", "ghcr.io/vaultgate/vaultgate", "0.1.0"},
		{"ghcr.io/vaultgate/vaultgate", "ghcr.io/vaultgate/vaultgate", ""},
		{"localhost:5000/vaultgate", "localhost:5000/vaultgate", ""},
		{"redis@sha256:abc", "redis", "sha256:abc"},
	}
	for _, tt := range tests {
		if n, g := splitImage(tt.in); n != tt.name || g != tt.tag {
			t.Errorf("splitImage(%q) = %q, %q; want %q, %q", tt.in, n, g, tt.name, tt.tag)
		}
	}
}
