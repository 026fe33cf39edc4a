package checks

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

const (
	keyMountPath = "/var/run/secrets/vaultgate"
	keySecret    = "vaultgate-apideck"
	nonrootUID   = 65532
)

// ingressNamespace is where the base expects the ingress controller.
const ingressNamespace = "ingress-nginx"

func TestBaseRendersValidVaultgate(t *testing.T) {
	checkVaultgate(t, render(t, "base"))
}

// checkVaultgate asserts the invariants of the base, which every overlay
// must keep too.
func checkVaultgate(t *testing.T, objs []Object) {
	t.Helper()
	checkVaultgateFrom(t, objs, ingressNamespace)
}

// checkVaultgateFrom is checkVaultgate for an overlay whose public traffic
// comes from the namespace publicFrom instead of ingress-nginx.
func checkVaultgateFrom(t *testing.T, objs []Object, publicFrom string) {
	t.Helper()
	dep := mustGet[*appsv1.Deployment](t, objs, "vaultgate")
	c := container(t, dep, "vaultgate")
	cm := envConfig(t, objs, c)
	podLabels := dep.Spec.Template.Labels

	t.Run("every object is part of vaultgate", func(t *testing.T) {
		for _, o := range objs {
			if o.GVK.Kind == "Namespace" || o.GVK.Kind == "ConfigMap" {
				continue
			}
			if l := labelsOf(o); l["app.kubernetes.io/part-of"] != "vaultgate" {
				t.Errorf("%s %s lacks app.kubernetes.io/part-of: vaultgate", o.GVK.Kind, o.Name)
			}
		}
	})
	t.Run("deployment", func(t *testing.T) {
		if dep.Spec.Replicas == nil || *dep.Spec.Replicas != 2 {
			t.Errorf("replicas = %d, want 2", derefOr(dep.Spec.Replicas, 1))
		}
		if dep.Spec.Selector == nil || !selects(dep.Spec.Selector.MatchLabels, podLabels) {
			t.Errorf("selector %v does not select the pod labels %v", dep.Spec.Selector, podLabels)
		}
		if ru := dep.Spec.Strategy.RollingUpdate; ru == nil || ru.MaxUnavailable == nil || ru.MaxUnavailable.IntValue() != 0 {
			t.Error("rolling update may take pods away before new ones are ready (want maxUnavailable 0)")
		}
		ref, tag := splitImage(c.Image)
		if ref == "" || tag == "" || tag == "latest" {
			t.Errorf("image %q is not pinned to a tag or digest", c.Image)
		}
	})
	t.Run("pod security", func(t *testing.T) {
		spec := &dep.Spec.Template.Spec
		for _, p := range PodSecurityProblems(spec, nonrootUID) {
			t.Error(p)
		}
		sa := mustGet[*corev1.ServiceAccount](t, objs, spec.ServiceAccountName)
		if sa.AutomountServiceAccountToken == nil || *sa.AutomountServiceAccountToken {
			t.Errorf("service account %s automounts its token", sa.Name)
		}
	})
	t.Run("ports and probes", func(t *testing.T) {
		wantPorts := map[string]int32{"http": 8080, "admin": 9090}
		got := map[string]int32{}
		for _, p := range c.Ports {
			got[p.Name] = p.ContainerPort
		}
		if diff := cmp.Diff(wantPorts, got); diff != "" {
			t.Errorf("container ports (-want +got):\n%s", diff)
		}
		if cm.Data["HTTP_ADDR"] != ":8080" || cm.Data["ADMIN_ADDR"] != ":9090" {
			t.Errorf("HTTP_ADDR=%q ADMIN_ADDR=%q do not match the container ports", cm.Data["HTTP_ADDR"], cm.Data["ADMIN_ADDR"])
		}
		checkProbe(t, "liveness", c.LivenessProbe, "/healthz")
		checkProbe(t, "readiness", c.ReadinessProbe, "/readyz")
	})
	t.Run("graceful shutdown", func(t *testing.T) {
		pre := c.Lifecycle
		if pre == nil || pre.PreStop == nil || pre.PreStop.Sleep == nil || pre.PreStop.Exec != nil {
			t.Fatal("preStop must be the kubelet sleep action (the image has no shell)")
		}
		sleep := time.Duration(pre.PreStop.Sleep.Seconds) * time.Second
		if sleep < 5*time.Second {
			t.Errorf("preStop sleep %v is shorter than endpoint propagation (5s)", sleep)
		}
		drain, err := time.ParseDuration(cm.Data["SHUTDOWN_TIMEOUT"])
		if err != nil {
			t.Fatalf("SHUTDOWN_TIMEOUT: %v", err)
		}
		grace := dep.Spec.Template.Spec.TerminationGracePeriodSeconds
		if grace == nil || time.Duration(*grace)*time.Second <= sleep+drain {
			t.Errorf("terminationGracePeriodSeconds %d must exceed preStop %v + SHUTDOWN_TIMEOUT %v", derefOr(grace, 30), sleep, drain)
		}
	})
	t.Run("api key from a mounted secret file", func(t *testing.T) {
		checkKeyFile(t, dep, c)
		for k, v := range cm.Data {
			if k == "APIDECK_API_KEY" || k == "AUTH_HS256_SECRET" || strings.Contains(strings.ToLower(v), "sk_") {
				t.Errorf("ConfigMap carries a secret-looking entry %s", k)
			}
		}
	})
	t.Run("services", func(t *testing.T) {
		checkServices(t, objs, podLabels)
	})
	t.Run("autoscaling and disruption", func(t *testing.T) {
		hpa := mustGet[*autoscalingv2.HorizontalPodAutoscaler](t, objs, "vaultgate")
		if ref := hpa.Spec.ScaleTargetRef; ref.Kind != "Deployment" || ref.Name != dep.Name {
			t.Errorf("HPA targets %s/%s", ref.Kind, ref.Name)
		}
		if hpa.Spec.MinReplicas == nil || *hpa.Spec.MinReplicas < 2 || hpa.Spec.MaxReplicas <= *hpa.Spec.MinReplicas {
			t.Errorf("HPA min %d max %d: want min >= 2 < max", derefOr(hpa.Spec.MinReplicas, 1), hpa.Spec.MaxReplicas)
		}
		cpu := slices.ContainsFunc(hpa.Spec.Metrics, func(m autoscalingv2.MetricSpec) bool {
			return m.Type == autoscalingv2.ResourceMetricSourceType && m.Resource != nil &&
				m.Resource.Name == corev1.ResourceCPU && m.Resource.Target.Type == autoscalingv2.UtilizationMetricType
		})
		if !cpu {
			t.Error("HPA does not scale on CPU utilization")
		}
		pdb := mustGet[*policyv1.PodDisruptionBudget](t, objs, "vaultgate")
		if pdb.Spec.MinAvailable == nil || *pdb.Spec.MinAvailable != intstr.FromInt32(1) {
			t.Errorf("PDB minAvailable = %v, want 1", pdb.Spec.MinAvailable)
		}
		if pdb.Spec.Selector == nil || !selects(pdb.Spec.Selector.MatchLabels, podLabels) {
			t.Error("PDB does not select vaultgate's pods")
		}
	})
	t.Run("network policy", func(t *testing.T) {
		checkNetworkPolicy(t, mustGet[*networkingv1.NetworkPolicy](t, objs, "vaultgate"), podLabels, publicFrom)
	})
}

func checkProbe(t *testing.T, kind string, p *corev1.Probe, path string) {
	t.Helper()
	if p == nil || p.HTTPGet == nil {
		t.Errorf("%s probe is not an HTTP GET", kind)
		return
	}
	if p.HTTPGet.Path != path || p.HTTPGet.Port != intstr.FromString("admin") {
		t.Errorf("%s probe GET %s on port %v, want %s on admin", kind, p.HTTPGet.Path, p.HTTPGet.Port.String(), path)
	}
}

func checkKeyFile(t *testing.T, dep *appsv1.Deployment, c *corev1.Container) {
	t.Helper()
	var keyFile string
	for _, e := range c.Env {
		if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
			t.Errorf("env %s comes from secretKeyRef: mount the Secret as a file instead", e.Name)
		}
		switch e.Name {
		case "APIDECK_API_KEY":
			t.Error("APIDECK_API_KEY is set in the environment")
		case "APIDECK_API_KEY_FILE":
			keyFile = e.Value
		}
	}
	var vol *corev1.Volume
	for i, v := range dep.Spec.Template.Spec.Volumes {
		if v.Secret != nil && v.Secret.SecretName == keySecret {
			vol = &dep.Spec.Template.Spec.Volumes[i]
		}
	}
	if vol == nil {
		t.Fatalf("no volume of Secret %s", keySecret)
	}
	if m := vol.Secret.DefaultMode; m == nil || *m&0o007 != 0 || *m&0o040 == 0 {
		t.Errorf("secret file mode %o: want group-readable (fsGroup) and nothing for others", derefOr(m, 0o644))
	}
	mounted := slices.ContainsFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool {
		return m.Name == vol.Name && m.MountPath == keyMountPath && m.ReadOnly && m.SubPath == ""
	})
	if !mounted {
		// A subPath mount would also never see a rotated key.
		t.Errorf("Secret volume is not mounted read-only at %s", keyMountPath)
	}
	var paths []string
	for _, it := range vol.Secret.Items {
		paths = append(paths, keyMountPath+"/"+it.Path)
	}
	if !slices.Contains(paths, keyFile) {
		t.Errorf("APIDECK_API_KEY_FILE=%q is none of the mounted files %q", keyFile, paths)
	}
}

func checkServices(t *testing.T, objs []Object, podLabels map[string]string) {
	t.Helper()
	pub := mustGet[*corev1.Service](t, objs, "vaultgate")
	if !selects(pub.Spec.Selector, podLabels) {
		t.Error("Service vaultgate does not select the pods")
	}
	if len(pub.Spec.Ports) != 1 {
		t.Fatalf("Service vaultgate has ports %v: want only the public one", pub.Spec.Ports)
	}
	if p := pub.Spec.Ports[0]; p.Port != 80 || p.TargetPort != intstr.FromString("http") {
		t.Errorf("Service vaultgate port %d → %s, want 80 → http", p.Port, p.TargetPort.String())
	}
	met := mustGet[*corev1.Service](t, objs, "vaultgate-metrics")
	if met.Spec.ClusterIP != corev1.ClusterIPNone {
		t.Error("vaultgate-metrics is not headless")
	}
	if !selects(met.Spec.Selector, podLabels) || met.Labels["app.kubernetes.io/component"] != "metrics" {
		t.Error("vaultgate-metrics must select the pods and be labelled component=metrics")
	}
	if len(met.Spec.Ports) != 1 || met.Spec.Ports[0].Name != "admin" || met.Spec.Ports[0].TargetPort != intstr.FromString("admin") {
		t.Errorf("vaultgate-metrics ports %v, want only admin", met.Spec.Ports)
	}
}

// checkNetworkPolicy wants ingress on 8080 only from publicFrom (the
// ingress controller's or Gateway's namespace) and on 9090 only from
// monitoring's, and egress only to DNS, HTTPS and Redis.
func checkNetworkPolicy(t *testing.T, np *networkingv1.NetworkPolicy, podLabels map[string]string, publicFrom string) {
	t.Helper()
	if !selects(np.Spec.PodSelector.MatchLabels, podLabels) {
		t.Error("NetworkPolicy does not select the pods")
	}
	types := np.Spec.PolicyTypes
	if !slices.Contains(types, networkingv1.PolicyTypeIngress) || !slices.Contains(types, networkingv1.PolicyTypeEgress) {
		t.Errorf("policyTypes %v: want Ingress and Egress", types)
	}
	ingress := map[string]string{} // "TCP/8080" → source namespace
	for _, r := range np.Spec.Ingress {
		if len(r.From) != 1 || r.From[0].NamespaceSelector == nil || r.From[0].IPBlock != nil {
			t.Errorf("ingress rule %v is not limited to one namespace", r.From)
			continue
		}
		ns := r.From[0].NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"]
		if len(r.Ports) == 0 {
			t.Errorf("ingress rule from %q allows every port", ns)
		}
		for _, key := range portKeys(r.Ports) {
			ingress[key] = ns
		}
	}
	wantIngress := map[string]string{"TCP/8080": publicFrom, "TCP/9090": "monitoring"}
	if diff := cmp.Diff(wantIngress, ingress); diff != "" {
		t.Errorf("ingress port → source namespace (-want +got):\n%s", diff)
	}
	var egress []string
	for _, r := range np.Spec.Egress {
		if len(r.Ports) == 0 {
			t.Error("an egress rule allows every port")
		}
		egress = append(egress, portKeys(r.Ports)...)
	}
	slices.Sort(egress)
	if diff := cmp.Diff([]string{"TCP/443", "TCP/53", "TCP/6379", "UDP/53"}, egress); diff != "" {
		t.Errorf("egress ports (-want +got):\n%s", diff)
	}
}

func portKeys(ports []networkingv1.NetworkPolicyPort) []string {
	var keys []string
	for _, p := range ports {
		proto := corev1.ProtocolTCP
		if p.Protocol != nil {
			proto = *p.Protocol
		}
		port := "*"
		if p.Port != nil {
			port = p.Port.String()
		}
		keys = append(keys, string(proto)+"/"+port)
	}
	return keys
}
