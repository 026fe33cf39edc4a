package checks

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// How a path is matched, the same for an Ingress, an HTTPRoute and Caddy:
// exact, or as a prefix at a segment boundary.
const (
	matchExact  = "exact"
	matchPrefix = "prefix"
)

// publicRoutes are what every deployment sends to vaultgate's public port:
// the connect button and the integrations page. The admin port and the
// rest of the app's origin are never among them.
var publicRoutes = map[string]string{
	"/connect":      matchExact,
	"/connections":  matchExact,
	"/connections/": matchPrefix,
}

// pathVariables turn on a route of their own at the path they hold.
var pathVariables = []string{"APIDECK_WEBHOOK_PATH", "VAULT_CALLBACK_PATH"}

// wantRoutes is publicRoutes plus the exact path of every feature the
// configuration turns on, so a path is routed exactly when vaultgate
// serves it.
func wantRoutes(config map[string]string) map[string]string {
	want := map[string]string{}
	for p, m := range publicRoutes {
		want[p] = m
	}
	for _, v := range pathVariables {
		if p := config[v]; p != "" {
			want[p] = matchExact
		}
	}
	return want
}

// checkRoutes compares the routed paths (path → match) with wantRoutes.
func checkRoutes(t *testing.T, got, config map[string]string) {
	t.Helper()
	if diff := cmp.Diff(wantRoutes(config), got); diff != "" {
		t.Errorf("paths routed to vaultgate (-want +got):\n%s", diff)
	}
}
