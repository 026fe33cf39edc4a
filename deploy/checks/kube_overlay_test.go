package checks

import (
	"net/url"
	"slices"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

const redisUID = 999

func TestExampleOverlay(t *testing.T) {
	objs := render(t, "overlays/example")

	t.Run("keeps the base invariants", func(t *testing.T) { checkVaultgate(t, objs) })

	t.Run("everything in the vaultgate namespace", func(t *testing.T) {
		ns := mustGet[*corev1.Namespace](t, objs, "vaultgate")
		if ns.Labels["pod-security.kubernetes.io/enforce"] != "restricted" {
			t.Error("namespace does not enforce the restricted Pod Security Standard")
		}
		for _, o := range objs {
			if o.GVK.Kind != "Namespace" && namespaceOf(o) != "vaultgate" {
				t.Errorf("%s %s is in namespace %q", o.GVK.Kind, o.Name, namespaceOf(o))
			}
		}
	})

	t.Run("ingress routes the public paths on the app's origin", func(t *testing.T) { checkIngress(t, objs) })

	t.Run("config placeholders merged over the base", func(t *testing.T) {
		dep := mustGet[*appsv1.Deployment](t, objs, "vaultgate")
		cm := envConfig(t, objs, container(t, dep, "vaultgate"))
		for _, k := range []string{"APIDECK_APP_ID", "AUTH_MODE", "AUTH_AUDIENCE", "SHUTDOWN_TIMEOUT", "HTTP_ADDR", "REDIS_URL", "TRUSTED_PROXY_HOPS"} {
			if cm.Data[k] == "" {
				t.Errorf("ConfigMap lacks %s", k)
			}
		}
		if n := len(All[*corev1.ConfigMap](objs)); n != 1 {
			t.Errorf("%d ConfigMaps rendered: the merges made copies", n)
		}
	})

	t.Run("redis component", func(t *testing.T) {
		checkRedis(t, objs)
	})
}

// TestEventsOverlay renders the example with connection events and the
// OAuth callback turned on, and wants both paths routed beside the others.
func TestEventsOverlay(t *testing.T) {
	objs := render(t, "overlays/example-events")

	t.Run("keeps the base invariants", func(t *testing.T) { checkVaultgate(t, objs) })

	cm := envConfig(t, objs, container(t, mustGet[*appsv1.Deployment](t, objs, "vaultgate"), "vaultgate"))
	for _, v := range pathVariables {
		if cm.Data[v] == "" {
			t.Errorf("%s is not set", v)
		}
	}
	if n := len(All[*corev1.ConfigMap](objs)); n != 1 {
		t.Errorf("%d ConfigMaps rendered: the merges made copies", n)
	}
	t.Run("ingress routes the public paths and the configured ones", func(t *testing.T) { checkIngress(t, objs) })
}

// checkIngress wants one Ingress rule, for the app's host with TLS, sending
// exactly the paths of wantRoutes to the public port of Service vaultgate.
func checkIngress(t *testing.T, objs []Object) {
	t.Helper()
	ing := mustGet[*networkingv1.Ingress](t, objs, "vaultgate")
	svc := mustGet[*corev1.Service](t, objs, "vaultgate")
	cm := envConfig(t, objs, container(t, mustGet[*appsv1.Deployment](t, objs, "vaultgate"), "vaultgate"))
	if len(ing.Spec.Rules) != 1 || ing.Spec.Rules[0].HTTP == nil {
		t.Fatalf("want one HTTP rule, got %v", ing.Spec.Rules)
	}
	if ing.Spec.DefaultBackend != nil {
		t.Error("a default backend would send the rest of the host to vaultgate")
	}
	rule := ing.Spec.Rules[0]
	if rule.Host != "app.example.com" {
		t.Errorf("host %q, want app.example.com", rule.Host)
	}
	if len(ing.Spec.TLS) == 0 || !slices.Contains(ing.Spec.TLS[0].Hosts, rule.Host) {
		t.Error("no TLS for the host")
	}
	got := map[string]string{}
	for _, p := range rule.HTTP.Paths {
		switch derefOr(p.PathType, "") {
		case networkingv1.PathTypeExact:
			got[p.Path] = matchExact
		case networkingv1.PathTypePrefix:
			got[p.Path] = matchPrefix
		default:
			// ImplementationSpecific is a regular expression to ingress-nginx.
			t.Errorf("path %q has type %q, want Exact or Prefix", p.Path, derefOr(p.PathType, ""))
		}
		b := p.Backend.Service
		if b == nil || b.Name != svc.Name || !slices.ContainsFunc(svc.Spec.Ports, func(sp corev1.ServicePort) bool {
			return sp.Name == b.Port.Name && sp.TargetPort == intstr.FromString("http")
		}) {
			t.Errorf("path %q: backend %+v is not the public port of Service %s", p.Path, b, svc.Name)
		}
	}
	checkRoutes(t, got, cm.Data)
}

func checkRedis(t *testing.T, objs []Object) {
	t.Helper()
	dep := mustGet[*appsv1.Deployment](t, objs, "vaultgate-redis")
	for _, p := range PodSecurityProblems(&dep.Spec.Template.Spec, redisUID) {
		t.Error(p)
	}
	svc := mustGet[*corev1.Service](t, objs, "vaultgate-redis")
	if !selects(svc.Spec.Selector, dep.Spec.Template.Labels) {
		t.Error("Service vaultgate-redis does not select the Redis pod")
	}
	vg := mustGet[*appsv1.Deployment](t, objs, "vaultgate")
	if selects(svc.Spec.Selector, vg.Spec.Template.Labels) || selects(vg.Spec.Selector.MatchLabels, dep.Spec.Template.Labels) {
		t.Error("vaultgate and Redis selectors overlap")
	}
	cm := envConfig(t, objs, container(t, vg, "vaultgate"))
	u, err := url.Parse(cm.Data["REDIS_URL"])
	if err != nil || u.Scheme != "redis" || u.Hostname() != svc.Name || u.Port() != "6379" {
		t.Errorf("REDIS_URL %q does not point at Service %s:6379", cm.Data["REDIS_URL"], svc.Name)
	}
	np := mustGet[*networkingv1.NetworkPolicy](t, objs, "vaultgate-redis")
	if !selects(np.Spec.PodSelector.MatchLabels, dep.Spec.Template.Labels) {
		t.Error("Redis NetworkPolicy does not select the Redis pod")
	}
	if len(np.Spec.Egress) != 0 || !slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeEgress) {
		t.Error("Redis may open connections: want Egress in policyTypes and no egress rule")
	}
	if len(np.Spec.Ingress) != 1 || len(np.Spec.Ingress[0].From) != 1 {
		t.Fatalf("Redis ingress %v: want one rule from vaultgate", np.Spec.Ingress)
	}
	from := np.Spec.Ingress[0].From[0]
	if from.PodSelector == nil || from.NamespaceSelector != nil || !selects(from.PodSelector.MatchLabels, vg.Spec.Template.Labels) {
		t.Error("Redis admits more than vaultgate's pods")
	}
	if keys := portKeys(np.Spec.Ingress[0].Ports); !slices.Equal(keys, []string{"TCP/6379"}) {
		t.Errorf("Redis ingress ports %v, want TCP/6379", keys)
	}
}
