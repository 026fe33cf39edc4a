package checks

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	corev1 "k8s.io/api/core/v1"
)

const runbookPrefix = "https://github.com/vaultgate/vaultgate/blob/main/docs/operations.md#"

func TestMonitoring(t *testing.T) {
	objs := render(t, "monitoring")
	base := render(t, "base")
	defined := serviceMetrics(t)
	anchors := MarkdownAnchors(readRepoFile(t, "docs/operations.md"))

	t.Run("service monitor scrapes the metrics service only", func(t *testing.T) {
		sm := mustGet[*monitoringv1.ServiceMonitor](t, objs, "vaultgate")
		sel := sm.Spec.Selector.MatchLabels
		met := mustGet[*corev1.Service](t, base, "vaultgate-metrics")
		pub := mustGet[*corev1.Service](t, base, "vaultgate")
		if !selects(sel, met.Labels) || selects(sel, pub.Labels) {
			t.Errorf("selector %v must match vaultgate-metrics %v and not vaultgate %v", sel, met.Labels, pub.Labels)
		}
		if len(sm.Spec.Endpoints) != 1 {
			t.Fatalf("endpoints %v, want one", sm.Spec.Endpoints)
		}
		ep := sm.Spec.Endpoints[0]
		if ep.Path != "/metrics" || !slices.ContainsFunc(met.Spec.Ports, func(p corev1.ServicePort) bool { return p.Name == ep.Port }) {
			t.Errorf("endpoint %s on port %q: want /metrics on a port of vaultgate-metrics", ep.Path, ep.Port)
		}
	})

	rule := mustGet[*monitoringv1.PrometheusRule](t, objs, "vaultgate")
	alerts := map[string]monitoringv1.Rule{}
	for _, g := range rule.Spec.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				t.Errorf("group %s has a rule without alert name", g.Name)
				continue
			}
			if _, dup := alerts[r.Alert]; dup {
				t.Errorf("alert %s defined twice", r.Alert)
			}
			alerts[r.Alert] = r
		}
	}

	t.Run("promised alerts exist", func(t *testing.T) {
		for _, want := range []struct{ alert, metric string }{
			{"VaultgateUpstreamAuthFailing", `outcome="auth"`},
			{"VaultgateUpstreamPaymentRequired", `outcome="payment_required"`},
			{"VaultgateUpstreamErrorRatioHigh", "vaultgate_upstream_requests_total"},
			{"VaultgateLatencyHigh", "histogram_quantile(0.99"},
			{"VaultgateCircuitOpen", "vaultgate_upstream_circuit_state"},
			{"VaultgateJWKSFetchFailing", `result="error"`},
			{"VaultgateRedisFailing", "vaultgate_rate_limit_errors_total"},
			{"VaultgateAuthUnavailable", `reason="unavailable"`},
			{"VaultgateWebhookSignaturesInvalid", `outcome="invalid_signature"`},
			{"VaultgateWebhookRedelivered", "vaultgate_webhook_execution_attempt_bucket"},
			{"VaultgateRelayFailing", "vaultgate_relay_requests_total"},
		} {
			r, ok := alerts[want.alert]
			if !ok {
				t.Errorf("no alert %s", want.alert)
				continue
			}
			if !strings.Contains(r.Expr.String(), want.metric) {
				t.Errorf("%s expr %q does not use %s", want.alert, r.Expr.String(), want.metric)
			}
		}
	})

	for name, r := range alerts {
		t.Run(name, func(t *testing.T) {
			// An alert that speaks of a route counts only that route.
			for _, p := range ExprProblems(r.Expr.String(), r.Annotations["summary"]+"\n"+r.Annotations["description"], defined) {
				t.Errorf("expr: %s", p)
			}
			if s := r.Labels["severity"]; s != "critical" && s != "warning" {
				t.Errorf("severity %q, want critical or warning", s)
			}
			if r.Annotations["summary"] == "" {
				t.Error("no summary annotation")
			}
			rb := r.Annotations["runbook_url"]
			if _, err := url.Parse(rb); err != nil || !strings.HasPrefix(rb, runbookPrefix) {
				t.Fatalf("runbook_url %q does not point into docs/operations.md", rb)
			}
			if anchor := strings.TrimPrefix(rb, runbookPrefix); !anchors[anchor] {
				t.Errorf("docs/operations.md has no heading for #%s", anchor)
			}
		})
	}
}

func TestPromQLMetrics(t *testing.T) {
	tests := []struct {
		expr    string
		want    []string
		wantErr bool
	}{
		{`sum(rate(vaultgate_http_requests_total{code=~"5.."}[5m]))`, []string{"vaultgate_http_requests_total"}, false},
		{`histogram_quantile(0.99, sum by (le) (rate(vaultgate_http_request_duration_seconds_bucket[5m])))`,
			[]string{"vaultgate_http_request_duration_seconds"}, false},
		{`absent(up{job="x"} == 1)`, []string{"up"}, false},
		{`sum(rate(vaultgate_x[5m])`, nil, true},
		{`max_over_time(vaultgate_y)`, nil, true},
	}
	for _, tt := range tests {
		got, err := PromQLMetrics(tt.expr)
		if (err != nil) != tt.wantErr {
			t.Errorf("PromQLMetrics(%q) error = %v, wantErr %v", tt.expr, err, tt.wantErr)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("PromQLMetrics(%q) (-want +got):\n%s", tt.expr, diff)
		}
	}
}
