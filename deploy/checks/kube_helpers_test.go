package checks

import (
	"path/filepath"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

// render builds deploy/kubernetes/<rel> and decodes it strictly.
func render(t *testing.T, rel string) []Object {
	t.Helper()
	objs, err := Render(filepath.Join(repoRoot(t), "deploy", "kubernetes", filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

// mustGet returns the object of type T named name or fails the test.
func mustGet[T any](t *testing.T, objs []Object, name string) T {
	t.Helper()
	v, ok := Get[T](objs, name)
	if !ok {
		var zero T
		t.Fatalf("no %T named %q in the render", zero, name)
	}
	return v
}

// container returns the named container of a Deployment.
func container(t *testing.T, d *appsv1.Deployment, name string) *corev1.Container {
	t.Helper()
	for i := range d.Spec.Template.Spec.Containers {
		if c := &d.Spec.Template.Spec.Containers[i]; c.Name == name {
			return c
		}
	}
	t.Fatalf("deployment %s has no container %q", d.Name, name)
	return nil
}

// envConfig returns the ConfigMap a container takes its environment from
// (following the generated, hash-suffixed name kustomize wrote into it).
func envConfig(t *testing.T, objs []Object, c *corev1.Container) *corev1.ConfigMap {
	t.Helper()
	for _, e := range c.EnvFrom {
		if e.ConfigMapRef != nil {
			return mustGet[*corev1.ConfigMap](t, objs, e.ConfigMapRef.Name)
		}
	}
	t.Fatalf("container %s has no envFrom configMapRef", c.Name)
	return nil
}

// selects reports whether every key of selector has the same value in labels.
func selects(selector, labels map[string]string) bool {
	if len(selector) == 0 {
		return false
	}
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}
