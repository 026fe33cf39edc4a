package checks

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// Each rule of PodSecurityProblems must catch a weakening of the real pod.
func TestPodSecurityProblemsCatchWeakenings(t *testing.T) {
	objs := render(t, "base")
	yes, no := true, false
	root := int64(0)
	tests := []struct {
		name   string
		mutate func(*corev1.PodSpec)
		want   string
	}{
		{"host network", func(s *corev1.PodSpec) { s.HostNetwork = true }, "host namespace"},
		{"token mounted", func(s *corev1.PodSpec) { s.AutomountServiceAccountToken = nil }, "service account token"},
		{"pod may run as root", func(s *corev1.PodSpec) { s.SecurityContext.RunAsNonRoot = &no }, "pod securityContext.runAsNonRoot"},
		{"pod uid", func(s *corev1.PodSpec) { s.SecurityContext.RunAsUser = &root }, "pod securityContext.runAsUser"},
		{"no seccomp", func(s *corev1.PodSpec) { s.SecurityContext.SeccompProfile = nil }, "seccompProfile is not RuntimeDefault"},
		{"container uid", func(s *corev1.PodSpec) { s.Containers[0].SecurityContext.RunAsUser = &root }, "container vaultgate: runAsUser"},
		{"writable root", func(s *corev1.PodSpec) { s.Containers[0].SecurityContext.ReadOnlyRootFilesystem = &no }, "readOnlyRootFilesystem"},
		{"escalation", func(s *corev1.PodSpec) { s.Containers[0].SecurityContext.AllowPrivilegeEscalation = &yes }, "allowPrivilegeEscalation"},
		{"escalation unset", func(s *corev1.PodSpec) { s.Containers[0].SecurityContext.AllowPrivilegeEscalation = nil }, "allowPrivilegeEscalation"},
		{"privileged", func(s *corev1.PodSpec) { s.Containers[0].SecurityContext.Privileged = &yes }, "privileged"},
		{"capability added", func(s *corev1.PodSpec) {
			s.Containers[0].SecurityContext.Capabilities.Add = []corev1.Capability{"NET_ADMIN"}
		}, "capabilities"},
		{"unconfined", func(s *corev1.PodSpec) {
			s.Containers[0].SecurityContext.SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeUnconfined}
		}, "overrides"},
		{"no requests", func(s *corev1.PodSpec) { s.Containers[0].Resources.Requests = nil }, "requests"},
		{"no memory limit", func(s *corev1.PodSpec) {
			s.Containers[0].Resources.Limits = corev1.ResourceList{"cpu": resource.MustParse("1")}
		}, "memory limit"},
		{"weak init container", func(s *corev1.PodSpec) { s.InitContainers = []corev1.Container{{Name: "init"}} }, "container init: no securityContext"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dep := mustGet[*appsv1.Deployment](t, objs, "vaultgate").DeepCopy()
			spec := &dep.Spec.Template.Spec
			if got := PodSecurityProblems(spec, nonrootUID); len(got) != 0 {
				t.Fatalf("the unmodified pod already has problems: %q", got)
			}
			tt.mutate(spec)
			if got := PodSecurityProblems(spec, nonrootUID); !containsAny(got, tt.want) {
				t.Errorf("problems %q; want one mentioning %q", got, tt.want)
			}
		})
	}
}
