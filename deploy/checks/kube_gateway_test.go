package checks

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// TestGatewayAPIOverlay renders the example served through a Gateway API
// HTTPRoute (components/gateway-api) and wants what the Ingress gave: only
// /connect on the app's host, to the public Service port, and the public
// port open only to the Gateway's namespace.
func TestGatewayAPIOverlay(t *testing.T) {
	objs := render(t, "overlays/example-gateway-api")

	route := mustGet[*gatewayv1.HTTPRoute](t, objs, "vaultgate")
	if len(route.Spec.ParentRefs) != 1 {
		t.Fatalf("parentRefs %v, want one Gateway", route.Spec.ParentRefs)
	}
	parent := route.Spec.ParentRefs[0]
	gatewayNS := string(derefOr(parent.Namespace, gatewayv1.Namespace(route.Namespace)))

	t.Run("keeps the base invariants", func(t *testing.T) { checkVaultgateFrom(t, objs, gatewayNS) })

	t.Run("no Ingress left", func(t *testing.T) {
		if ings := All[*networkingv1.Ingress](objs); len(ings) != 0 {
			t.Errorf("%d Ingresses rendered beside the HTTPRoute", len(ings))
		}
	})

	t.Run("route attaches to a Gateway's https listener", func(t *testing.T) {
		if g, k := derefOr(parent.Group, gatewayv1.GroupName), derefOr(parent.Kind, "Gateway"); g != gatewayv1.GroupName || k != "Gateway" {
			t.Errorf("parent is a %s/%s, want a Gateway", g, k)
		}
		if parent.Namespace == nil || gatewayNS == "vaultgate" {
			t.Errorf("parent Gateway in namespace %q: want the shared Gateway's own namespace", gatewayNS)
		}
		if derefOr(parent.SectionName, "") != "https" {
			t.Errorf("sectionName %q: attach to the TLS listener only", derefOr(parent.SectionName, ""))
		}
		if route.Namespace != "vaultgate" {
			t.Errorf("HTTPRoute in namespace %q, want vaultgate", route.Namespace)
		}
	})

	t.Run("route sends exactly /connect on the app's host to the public Service", func(t *testing.T) {
		if len(route.Spec.Hostnames) != 1 || route.Spec.Hostnames[0] != "app.example.com" {
			t.Errorf("hostnames %v, want [app.example.com]", route.Spec.Hostnames)
		}
		if len(route.Spec.Rules) != 1 {
			t.Fatalf("%d rules, want one", len(route.Spec.Rules))
		}
		rule := route.Spec.Rules[0]
		if len(rule.Matches) != 1 || rule.Matches[0].Path == nil {
			t.Fatalf("matches %v, want one path match", rule.Matches)
		}
		m := rule.Matches[0]
		if derefOr(m.Path.Type, "") != gatewayv1.PathMatchExact || derefOr(m.Path.Value, "") != "/connect" ||
			m.Method != nil || len(m.Headers) != 0 || len(m.QueryParams) != 0 {
			t.Errorf("match %s %q (method %v, %d header and %d query matches), want exactly the path /connect",
				derefOr(m.Path.Type, ""), derefOr(m.Path.Value, ""), derefOr(m.Method, ""), len(m.Headers), len(m.QueryParams))
		}
		svc := mustGet[*corev1.Service](t, objs, "vaultgate")
		if len(rule.BackendRefs) != 1 {
			t.Fatalf("backendRefs %v, want one", rule.BackendRefs)
		}
		b := rule.BackendRefs[0].BackendObjectReference
		if derefOr(b.Group, "") != "" || derefOr(b.Kind, "Service") != "Service" || string(b.Name) != svc.Name ||
			(b.Namespace != nil && string(*b.Namespace) != route.Namespace) {
			t.Errorf("backend %+v is not Service %s in the route's namespace", b, svc.Name)
		}
		if b.Port == nil || len(svc.Spec.Ports) != 1 || int32(*b.Port) != svc.Spec.Ports[0].Port {
			t.Errorf("backend port %d is not the public port of Service %s", derefOr(b.Port, 0), svc.Name)
		}
		if len(rule.Filters) != 0 {
			t.Errorf("filters %v: vaultgate needs the request as sent", rule.Filters)
		}
	})

	t.Run("redis component", func(t *testing.T) { checkRedis(t, objs) })
}
