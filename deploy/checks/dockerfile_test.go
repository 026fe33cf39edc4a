package checks

import (
	"strings"
	"testing"
)

func TestDockerfileMeetsImageRules(t *testing.T) {
	d := parseDockerfile(t, readRepoFile(t, "Dockerfile"))
	for _, p := range DockerfileProblems(d) {
		t.Error(p)
	}
	if got := d.Final().BaseName; got != "gcr.io/distroless/static-debian12:nonroot" {
		t.Errorf("final base = %q, want gcr.io/distroless/static-debian12:nonroot", got)
	}
}

// Each rule must catch its own violation; the mutations are applied to the
// real Dockerfile so the rules are proven against the file they guard.
func TestDockerfileRulesCatchViolations(t *testing.T) {
	real := readRepoFile(t, "Dockerfile")
	tests := []struct {
		name, old, new, want string
	}{
		{"single stage", "FROM gcr.io/distroless/static-debian12:nonroot", "", "multi-stage"},
		{"debian final base", "gcr.io/distroless/static-debian12:nonroot", "debian:12", "neither a distroless"},
		{"distroless root variant", "static-debian12:nonroot", "static-debian12:latest", "neither a distroless"},
		{"root user", "USER nonroot:nonroot", "USER root", `USER "root"`},
		{"uid 0", "USER nonroot:nonroot", "USER 0:0", `USER "0:0"`},
		{"no user", "USER nonroot:nonroot\n", "", `USER ""`},
		{"copy context into final", "COPY --from=build /out/vaultgate /vaultgate", "COPY . /app", "from the build context"},
		{"copy whole build stage", "COPY --from=build /out/vaultgate /vaultgate", "COPY --from=build / /", "copies everything"},
		{"add into final", "COPY --from=build /out/vaultgate /vaultgate", "ADD vaultgate /vaultgate", "uses ADD"},
		{"dotenv", "COPY go.mod go.sum ./", "COPY go.mod go.sum .env ./", "secret-like file \".env\""},
		{"key file", "COPY go.mod go.sum ./", "COPY go.mod go.sum tls/server.key ./", "secret-like"},
		{"secrets folder", "COPY go.mod go.sum ./", "COPY go.mod go.sum secrets/ ./", "secret-like"},
		{"no healthcheck", `CMD ["/vaultgate", "healthcheck"]`, `CMD ["/vaultgate", "serve"]`, "HEALTHCHECK"},
		{"shell healthcheck", `CMD ["/vaultgate", "healthcheck"]`, `CMD /vaultgate healthcheck`, "HEALTHCHECK"},
		{"missing admin port", "EXPOSE 8080 9090", "EXPOSE 8080", "EXPOSE 9090"},
		{"cgo on", "CGO_ENABLED=0 GOOS", "CGO_ENABLED=1 GOOS", "CGO_ENABLED=0"},
		{"cgo unset", "CGO_ENABLED=0 GOOS", "GOOS", "CGO_ENABLED=0"},
		{"no trimpath", "go build -trimpath", "go build", "-trimpath"},
		{"no strip", `-ldflags "-s -w `, `-ldflags "`, "lacks -s -w"},
		{"wrong version package", "internal/app.Version=", "internal/buildinfo.Version=", "does not set"},
		{"no module cache mount", "--mount=type=cache,target=/go/pkg/mod \\\n    --mount", "--mount", "target=/go/pkg/mod"},
		{"no mod download layer", "RUN --mount=type=cache,target=/go/pkg/mod \\\n    go mod download\n", "", "go mod download"},
		{"chained build", "-o /out/vaultgate ./cmd/server", "-o /out/vaultgate ./cmd/server && true", "one simple command"},
		{"shell entrypoint", `ENTRYPOINT ["/vaultgate"]`, `ENTRYPOINT /vaultgate`, "exec form"},
		{"lint: casing", "AS build", "as build", "FromAsCasing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(real, tt.old) {
				t.Fatalf("the Dockerfile no longer contains %q: update this case", tt.old)
			}
			d := parseDockerfile(t, strings.Replace(real, tt.old, tt.new, 1))
			got := DockerfileProblems(d)
			if !containsAny(got, tt.want) {
				t.Errorf("problems %q; want one mentioning %q", got, tt.want)
			}
		})
	}
}

func TestFlag(t *testing.T) {
	argv := []string{"go", "build", "-trimpath", "-ldflags", "-s -w", "--o=/out/x", "./cmd/server"}
	tests := []struct {
		name, want string
		ok         bool
	}{
		{"ldflags", "-s -w", true},
		{"o", "/out/x", true},
		{"tags", "", false},
	}
	for _, tt := range tests {
		got, ok := Flag(argv, tt.name)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Flag(%q) = %q, %v; want %q, %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
}
