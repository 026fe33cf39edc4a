package checks

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// TestGatewayAPIOverlay renders the example served through a Gateway API
// HTTPRoute (components/gateway-api) and wants what the Ingress gives: the
// public paths on the app's host, to the public Service port, and the
// public port open only to the Gateway's namespace.
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

	t.Run("routes send the public paths on the app's host to the public Service", func(t *testing.T) {
		dep := mustGet[*appsv1.Deployment](t, objs, "vaultgate")
		cm := envConfig(t, objs, container(t, dep, "vaultgate"))
		svc := mustGet[*corev1.Service](t, objs, "vaultgate")
		routes := All[*gatewayv1.HTTPRoute](objs)
		if len(routes) != 2 {
			t.Fatalf("%d HTTPRoutes, want vaultgate and vaultgate-events", len(routes))
		}
		for _, r := range routes {
			if diff := cmp.Diff(route.Spec.ParentRefs, r.Spec.ParentRefs); diff != "" {
				t.Errorf("%s attaches elsewhere than %s (-want +got):\n%s", r.Name, route.Name, diff)
			}
			if len(r.Spec.Hostnames) != 1 || r.Spec.Hostnames[0] != "app.example.com" {
				t.Errorf("%s hostnames %v, want [app.example.com]", r.Name, r.Spec.Hostnames)
			}
			for _, rule := range r.Spec.Rules {
				checkRouteRule(t, r, rule, svc)
			}
		}
		checkRoutes(t, routeMatches(t, route), cm.Data)

		// The stream's own route only lifts the timeout: it lies under
		// /connections/, so it adds no path.
		events := mustGet[*gatewayv1.HTTPRoute](t, objs, "vaultgate-events")
		if diff := cmp.Diff(map[string]string{"/connections/events": matchExact}, routeMatches(t, events)); diff != "" {
			t.Errorf("vaultgate-events matches (-want +got):\n%s", diff)
		}
		if len(events.Spec.Rules) != 1 || events.Spec.Rules[0].Timeouts == nil ||
			derefOr(events.Spec.Rules[0].Timeouts.Request, "") != "0s" {
			t.Error("vaultgate-events must set timeouts.request: 0s (Envoy ends a response after 15 s by default)")
		}
		for _, rule := range route.Spec.Rules {
			if rule.Timeouts != nil {
				t.Errorf("route vaultgate sets timeouts %+v: a Gateway without timeout support would reject /connect with it", rule.Timeouts)
			}
		}
	})

	t.Run("redis component", func(t *testing.T) { checkRedis(t, objs) })
}

// checkRouteRule wants a rule to match on the path alone (every method) and
// to send the request as it came to the public port of Service svc.
func checkRouteRule(t *testing.T, r *gatewayv1.HTTPRoute, rule gatewayv1.HTTPRouteRule, svc *corev1.Service) {
	t.Helper()
	for _, m := range rule.Matches {
		if m.Path == nil || m.Method != nil || len(m.Headers) != 0 || len(m.QueryParams) != 0 {
			t.Errorf("%s: match %+v, want a path alone", r.Name, m)
		}
	}
	if len(rule.BackendRefs) != 1 {
		t.Fatalf("%s: backendRefs %v, want one", r.Name, rule.BackendRefs)
	}
	b := rule.BackendRefs[0].BackendObjectReference
	if derefOr(b.Group, "") != "" || derefOr(b.Kind, "Service") != "Service" || string(b.Name) != svc.Name ||
		(b.Namespace != nil && string(*b.Namespace) != r.Namespace) {
		t.Errorf("%s: backend %+v is not Service %s in the route's namespace", r.Name, b, svc.Name)
	}
	if b.Port == nil || len(svc.Spec.Ports) != 1 || int32(*b.Port) != svc.Spec.Ports[0].Port {
		t.Errorf("%s: backend port %d is not the public port of Service %s", r.Name, derefOr(b.Port, 0), svc.Name)
	}
	if len(rule.Filters) != 0 || len(rule.BackendRefs[0].Filters) != 0 {
		t.Errorf("%s: filters: vaultgate needs the request as sent", r.Name)
	}
}

// routeMatches returns the paths an HTTPRoute matches, path → match.
func routeMatches(t *testing.T, r *gatewayv1.HTTPRoute) map[string]string {
	t.Helper()
	got := map[string]string{}
	for _, rule := range r.Spec.Rules {
		if len(rule.Matches) == 0 {
			// The API server defaults no matches to the prefix "/": everything.
			t.Errorf("%s: a rule without matches routes the whole host", r.Name)
		}
		for _, m := range rule.Matches {
			if m.Path == nil {
				continue
			}
			value := derefOr(m.Path.Value, "/")
			switch derefOr(m.Path.Type, gatewayv1.PathMatchPathPrefix) {
			case gatewayv1.PathMatchExact:
				got[value] = matchExact
			case gatewayv1.PathMatchPathPrefix:
				got[value] = matchPrefix
			default:
				t.Errorf("%s: path %q matched as %s, want Exact or PathPrefix", r.Name, value, derefOr(m.Path.Type, ""))
			}
		}
	}
	return got
}
