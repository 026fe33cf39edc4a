package checks

import (
	"strings"
	"testing"
)

// TestDocCheckCatches runs the command rules on small documents, each a
// list of snippets read in order, among them the runbook's former mistakes.
func TestDocCheckCatches(t *testing.T) {
	const composeFile = "deploy/compose/compose.yaml"
	tests := []struct {
		name     string
		snippets []string
		want     string // a substring of the one expected problem; "" for none
	}{
		{"compose without its file", []string{"docker compose up -d --force-recreate vaultgate"}, "names no Compose file"},
		{"compose with its file", []string{"docker compose -f " + composeFile + " up --build"}, ""},
		{"compose forgets the chosen key", []string{
			"APIDECK_API_KEY_PATH=$HOME/k APIDECK_APP_ID=a docker compose -f " + composeFile + " up --build",
			"docker compose -f " + composeFile + " up -d --force-recreate vaultgate",
		}, "fall back to the file's defaults"},
		{"compose keeps the chosen key", []string{
			"APIDECK_API_KEY_PATH=$HOME/k APIDECK_APP_ID=a docker compose -f " + composeFile + " up --build",
			"docker compose -f " + composeFile + " logs vaultgate",
			"APIDECK_API_KEY_PATH=$HOME/k APIDECK_APP_ID=a docker compose -f " + composeFile + " up -d --force-recreate vaultgate",
		}, ""},
		{"compose given a vaultgate variable", []string{"APIDECK_API_KEY=k docker compose -f " + composeFile + " up"}, "not a variable of the Compose file"},
		{"compose file missing", []string{"docker compose -f deploy/compose.yaml up"}, "does not exist"},

		{"kubectl without namespace", []string{"kubectl rollout undo deployment/vaultgate"}, "does not name the namespace"},
		{"kubectl with namespace", []string{"kubectl -n vaultgate rollout undo deployment/vaultgate"}, ""},
		{"kubectl with --namespace=", []string{"kubectl rollout status --namespace=vaultgate deployment/vaultgate"}, ""},
		{"kubectl creates the namespace", []string{"kubectl create namespace vaultgate"}, ""},
		{"kubectl prose fragment", []string{"kubectl describe"}, ""},
		{"apply an overlay that sets the namespace", []string{"kubectl apply -k deploy/kubernetes/overlays/example"}, ""},
		{"apply monitoring without namespace", []string{"kubectl apply -k deploy/kubernetes/monitoring"}, "does not name the namespace"},
		{"apply monitoring with namespace", []string{"kubectl apply -n vaultgate -k deploy/kubernetes/monitoring"}, ""},
		{"apply an overlay that does not exist", []string{"kubectl apply -k deploy/kubernetes/overlays/your-overlay"}, "does not exist"},
		{"apply a copied overlay", []string{
			"cp -r deploy/kubernetes/overlays/example deploy/kubernetes/overlays/prod",
			"kubectl apply -k deploy/kubernetes/overlays/prod",
		}, ""},
		{"apply what a namespaced kubectl printed", []string{
			"kubectl -n vaultgate create secret generic s --from-file=api-key=./key --dry-run=client -o yaml | kubectl apply -f -",
		}, ""},

		{"go run of a missing package", []string{"go run ./cmd/nope"}, "package cmd/nope does not exist"},
		{"go run with a flag the program lacks", []string{"go run ./cmd/server -dmeo"}, "defines no flag -dmeo"},
		{"go run of the simulator", []string{"go run ./cmd/apideck-sim -addr 127.0.0.1:8090 -api-key k -app-id a"}, ""},
		{"go test of every package", []string{"go test -short ./..."}, ""},
		{"go test of a missing pattern", []string{"go test -count=1 ./internal/nope/..."}, "internal/nope does not exist"},
		{"go test after cd", []string{"(cd deploy && go vet ./... && go test -count=1 ./checks)"}, ""},
		{"go test of a missing package after cd", []string{"(cd deploy && go test ./nope)"}, "package deploy/nope does not exist"},

		{"unknown variable", []string{"VAULT_UNIFIED_API=crm go run ./cmd/server -demo"}, "VAULT_UNIFIED_API is not a variable"},
		{"known variables", []string{"HTTP_ADDR=:8081 ADMIN_ADDR=:9091 go run ./cmd/server -demo"}, ""},
		{"toolchain variable", []string{"GOCACHE=$(mktemp -d) go build -o /tmp/x ./cmd/server"}, ""},
		{"unknown variable through env", []string{"env AUTH_MDOE=forward go run ./cmd/server"}, "AUTH_MDOE"},
		{"unknown export", []string{"export APIDECK_APPID=x"}, "APIDECK_APPID"},
		{"environment block with a typo", []string{"AUTH_MODE=forward\nAUTH_FORWRD_URL=http://app/me\n"}, "AUTH_FORWRD_URL"},
		{"environment file with a typo", []string{"cat > trial.env <<'EOF'\nAPIDECK_APP_ID=a\nVAULT_ORIGN=http://x\nEOF\n"}, "VAULT_ORIGN"},
		{"source a missing file", []string{"set -a; . ./trial.env; set +a"}, "sources trial.env"},
		{"source a file created above", []string{
			"cat > trial.env <<'EOF'\nAPIDECK_APP_ID=a\nEOF\n",
			"set -a; . ./trial.env; set +a",
		}, ""},

		{"script that does not exist", []string{"./scripts/tset.sh"}, "scripts/tset.sh does not exist"},
		{"path argument that does not exist", []string{"cat deploy/kubernetes/base/kustomize.yaml"}, "does not exist in the repository"},
		{"reader's own file", []string{"cat ./apideck_api_key"}, ""},

		{"build without the commit", []string{`docker build --build-arg VERSION=1 -t x .`}, "--build-arg COMMIT"},
		{"build with an unknown argument", []string{`docker build --build-arg VERSION=1 --build-arg COMMIT=c --build-arg REV=2 -t x .`}, "REV is not an ARG"},
		{"build stamped", []string{`docker build --build-arg VERSION="$V" --build-arg COMMIT="$(git rev-parse HEAD)" -t "$IMAGE" .`}, ""},
		{"buildx stamped", []string{`docker buildx build --platform linux/amd64 --build-arg VERSION=1 --build-arg COMMIT=c -t x --push .`}, ""},

		{"set image the manifests do not use", []string{"kustomize edit set image ghcr.io/acme/vaultgate=r/x:1"}, "no manifest uses"},
		{"set image in a copied overlay", []string{
			"cp -r deploy/kubernetes/overlays/example deploy/kubernetes/overlays/prod",
			`(cd deploy/kubernetes/overlays/prod && kustomize edit set image ghcr.io/vaultgate/vaultgate="$IMAGE")`,
		}, ""},
	}
	c := docContext(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := c.NewDoc()
			var problems []string
			for _, src := range tt.snippets {
				s, err := ParseShell(src)
				if err != nil {
					t.Fatalf("parse %q: %v", src, err)
				}
				problems = append(problems, doc.Snippet(s)...)
			}
			switch {
			case tt.want == "" && len(problems) > 0:
				t.Errorf("unexpected problems: %q", problems)
			case tt.want != "" && (len(problems) != 1 || !strings.Contains(problems[0], tt.want)):
				t.Errorf("problems %q, want exactly one containing %q", problems, tt.want)
			}
		})
	}
}

func TestQueryProblems(t *testing.T) {
	defined := []string{"vaultgate_http_requests_total", "vaultgate_http_request_duration_seconds"}
	tests := []struct {
		name, query, want string
	}{
		{"/connect without route filter", "# share of /connect answered with an error\n" +
			`sum(rate(vaultgate_http_requests_total{code!~"2..|3.."}[5m])) / sum(rate(vaultgate_http_requests_total{route="/connect"}[5m]))`,
			`does not keep to route="/connect"`},
		{"/connect filtered", "# share of /connect answered with an error\n" +
			`sum(rate(vaultgate_http_requests_total{route="/connect", code!~"2..|3.."}[5m])) / sum(rate(vaultgate_http_requests_total{route="/connect"}[5m]))`, ""},
		{"/connect latency filtered", "# /connect p99\n" +
			`histogram_quantile(0.99, sum by (le) (rate(vaultgate_http_request_duration_seconds_bucket{route="/connect"}[5m])))`, ""},
		{"a filter that keeps every route", "# /connect errors\n" + `sum(rate(vaultgate_http_requests_total{route=~".+"}[5m]))`, "does not keep to"},
		{"/connections is not /connect", "# /connections errors\n" + `sum(rate(vaultgate_http_requests_total{route="/connect"}[5m]))`, `does not keep to route="/connections"`},
		{"/connections filtered", "# /connections errors\n" + `sum(rate(vaultgate_http_requests_total{route="/connections"}[5m]))`, ""},
		{"two routes, one regex", "# /connect and /connections/{unified_api}/{service_id} latency\n" +
			`sum(rate(vaultgate_http_request_duration_seconds_count{route=~"/connect|/connections/.*"}[5m]))`, ""},
		{"two routes, one kept", "# /connect and /connections/events\n" + `sum(rate(vaultgate_http_requests_total{route="/connect"}[5m]))`, "does not keep to"},
		{"a route left out", "# /connect and /connections, streams left out\n" +
			`sum(rate(vaultgate_http_requests_total{route=~"/connect|/connections.*", route!="/connections/events"}[5m]))`, ""},
		{"every route, said so", "# all public requests\n" + `sum(rate(vaultgate_http_requests_total[5m]))`, ""},
		{"latency of every route", "# p99 of the public listener\n" +
			`histogram_quantile(0.99, sum by (le) (rate(vaultgate_http_request_duration_seconds_bucket[5m])))`, "stay open for up to an hour"},
		{"latency with the streams", "# /connect and /connections p99\n" +
			`histogram_quantile(0.99, sum by (le) (rate(vaultgate_http_request_duration_seconds_bucket{route=~"/connect|/connections.*"}[5m])))`, "stay open for up to an hour"},
		{"how long streams stay open", "# how long /connections/events streams stay open\n" +
			`histogram_quantile(0.5, sum by (le) (rate(vaultgate_http_request_duration_seconds_bucket{route="/connections/events"}[5m])))`, ""},
		{"unknown metric", `rate(vaultgate_sessions_total[5m])`, "vaultgate_sessions_total is not a metric"},
		{"does not parse", `sum(rate(vaultgate_http_requests_total[5m])`, "does not parse"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			problems := QueryProblems(tt.query, defined)
			switch {
			case tt.want == "" && len(problems) > 0:
				t.Errorf("unexpected problems: %q", problems)
			case tt.want != "" && (len(problems) != 1 || !strings.Contains(problems[0], tt.want)):
				t.Errorf("problems %q, want exactly one containing %q", problems, tt.want)
			}
		})
	}
}
