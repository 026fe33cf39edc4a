package checks

import (
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
)

// PodSecurityProblems lists where a pod spec falls short of what vaultgate's
// manifests promise for every pod they run: the restricted Pod Security
// Standard, a fixed non-root uid, a read-only root filesystem, no API token,
// and resource requests the scheduler and the HPA can work with.
func PodSecurityProblems(spec *corev1.PodSpec, uid int64) []string {
	var p []string
	add := func(format string, a ...any) { p = append(p, fmt.Sprintf(format, a...)) }
	if spec.HostNetwork || spec.HostPID || spec.HostIPC {
		add("pod shares a host namespace")
	}
	if spec.AutomountServiceAccountToken == nil || *spec.AutomountServiceAccountToken {
		add("pod mounts a service account token (automountServiceAccountToken is not false)")
	}
	psc := spec.SecurityContext
	if psc == nil {
		add("pod has no securityContext")
		psc = &corev1.PodSecurityContext{}
	}
	if !isTrue(psc.RunAsNonRoot) {
		add("pod securityContext.runAsNonRoot is not true")
	}
	if psc.RunAsUser == nil || *psc.RunAsUser != uid {
		add("pod securityContext.runAsUser is not %d", uid)
	}
	if psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		add("pod seccompProfile is not RuntimeDefault")
	}
	if len(spec.Containers) == 0 {
		add("pod has no containers")
	}
	for _, c := range slices.Concat(spec.InitContainers, spec.Containers) {
		p = append(p, containerProblems(&c, uid)...)
	}
	return p
}

func containerProblems(c *corev1.Container, uid int64) []string {
	var p []string
	add := func(format string, a ...any) {
		p = append(p, fmt.Sprintf("container %s: "+format, append([]any{c.Name}, a...)...))
	}
	sc := c.SecurityContext
	if sc == nil {
		add("no securityContext")
		sc = &corev1.SecurityContext{}
	}
	if !isTrue(sc.RunAsNonRoot) {
		add("runAsNonRoot is not true")
	}
	if sc.RunAsUser == nil || *sc.RunAsUser != uid {
		add("runAsUser is not %d", uid)
	}
	if !isTrue(sc.ReadOnlyRootFilesystem) {
		add("readOnlyRootFilesystem is not true")
	}
	if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		add("allowPrivilegeEscalation is not false")
	}
	if isTrue(sc.Privileged) {
		add("privileged")
	}
	if sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(sc.Capabilities.Add) > 0 {
		add("capabilities are not exactly drop [ALL]")
	}
	if sc.SeccompProfile != nil && sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		add("seccompProfile overrides the pod's with %q", sc.SeccompProfile.Type)
	}
	req := c.Resources.Requests
	if req.Cpu().IsZero() || req.Memory().IsZero() {
		add("no cpu and memory requests")
	}
	if c.Resources.Limits.Memory().IsZero() {
		add("no memory limit")
	}
	return p
}

func isTrue(b *bool) bool { return b != nil && *b }
