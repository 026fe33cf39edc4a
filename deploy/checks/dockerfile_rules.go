package checks

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
)

// versionPkg is the package whose string variables the build stamps.
const versionPkg = "github.com/vaultgate/vaultgate/internal/app"

// secretLike reports whether a COPY/ADD source names a file that must never
// enter an image: dotenv files, keys, certificates, secret folders.
func secretLike(src string) bool {
	base := strings.ToLower(path.Base(src))
	for _, ext := range []string{".pem", ".key", ".p12", ".pfx", ".crt"} {
		if strings.HasSuffix(base, ext) {
			return true
		}
	}
	return base == ".env" || strings.HasPrefix(base, ".env.") ||
		strings.Contains(strings.ToLower(src), "secret")
}

// wholeContext reports whether a COPY/ADD source is the whole build context
// (or the whole filesystem of another stage).
func wholeContext(src string) bool {
	switch strings.TrimSuffix(src, "/") {
	case "", ".", "*", "./*":
		return true
	}
	return false
}

// DockerfileProblems lists every way d departs from the image vaultgate
// promises: multi-stage, static, non-root, no shell needed, nothing secret.
func DockerfileProblems(d *Dockerfile) []string {
	var p []string
	add := func(format string, a ...any) { p = append(p, fmt.Sprintf(format, a...)) }
	for _, w := range d.Warnings {
		add("BuildKit warning: %s", w)
	}
	if len(d.Stages) < 2 {
		add("want a multi-stage build (>= 2 stages), got %d", len(d.Stages))
		if len(d.Stages) == 0 {
			return p
		}
	}
	if base := d.Stages[0].BaseName; !strings.HasPrefix(base, "golang:1.26") {
		add("build stage base %q is not golang:1.26", base)
	}
	for i := range d.Stages {
		for _, c := range d.Stages[i].Commands {
			for _, src := range copySources(c) {
				if secretLike(src) {
					add("stage %d copies secret-like file %q", i, src)
				}
			}
		}
	}
	final := d.Final()
	p = append(p, finalStageProblems(final)...)
	if len(d.Stages) >= 2 {
		p = append(p, buildStageProblems(d, &d.Stages[0])...)
	}
	return p
}

// copySources returns the sources of a COPY or ADD, nil for other commands.
func copySources(c instructions.Command) []string {
	switch c := c.(type) {
	case *instructions.CopyCommand:
		return c.SourcePaths
	case *instructions.AddCommand:
		return c.SourcePaths
	}
	return nil
}

func finalStageProblems(st *instructions.Stage) []string {
	var p []string
	add := func(format string, a ...any) { p = append(p, fmt.Sprintf(format, a...)) }
	base := st.BaseName
	distrolessNonroot := strings.HasPrefix(base, "gcr.io/distroless/") && strings.Contains(base, ":nonroot")
	if !distrolessNonroot && base != "scratch" {
		add("final stage base %q is neither a distroless :nonroot image nor scratch", base)
	}
	var user string
	var ports []string
	var health *instructions.HealthCheckCommand
	var entrypoint *instructions.EntrypointCommand
	for _, c := range st.Commands {
		switch c := c.(type) {
		case *instructions.UserCommand:
			user = c.User
		case *instructions.ExposeCommand:
			ports = append(ports, c.Ports...)
		case *instructions.HealthCheckCommand:
			health = c
		case *instructions.EntrypointCommand:
			entrypoint = c
		case *instructions.AddCommand:
			add("final stage uses ADD %q: copy built files from a stage instead", c.SourcePaths)
		case *instructions.CopyCommand:
			if c.From == "" {
				add("final stage copies %q from the build context: copy only build outputs (COPY --from)", c.SourcePaths)
			}
			for _, src := range c.SourcePaths {
				if wholeContext(src) {
					add("final stage copies everything (%q) from %q", src, c.From)
				}
			}
		case *instructions.RunCommand:
			add("final stage runs %q: the runtime image has no shell", c.CmdLine)
		}
	}
	uid, _, _ := strings.Cut(user, ":")
	if uid == "" || uid == "root" || uid == "0" {
		add("final stage USER %q: want an explicit non-root user", user)
	}
	for _, want := range []string{"8080", "9090"} {
		if !slices.ContainsFunc(ports, func(p string) bool { return strings.TrimSuffix(p, "/tcp") == want }) {
			add("final stage does not EXPOSE %s (got %q)", want, ports)
		}
	}
	// Exec form: the image has no shell to run CMD-SHELL with.
	if health == nil || health.Health == nil ||
		!slices.Equal(health.Health.Test, []string{"CMD", "/vaultgate", "healthcheck"}) {
		add("final stage needs HEALTHCHECK CMD [\"/vaultgate\", \"healthcheck\"]")
	}
	if entrypoint == nil || entrypoint.PrependShell || !slices.Equal(entrypoint.CmdLine, []string{"/vaultgate"}) {
		add("final stage needs ENTRYPOINT [\"/vaultgate\"] in exec form")
	}
	return p
}

func buildStageProblems(d *Dockerfile, st *instructions.Stage) []string {
	var p []string
	add := func(format string, a ...any) { p = append(p, fmt.Sprintf(format, a...)) }
	download, copyAll := -1, -1
	for i, c := range st.Commands {
		if r, ok := c.(*instructions.RunCommand); ok && download < 0 &&
			strings.Contains(strings.Join(r.CmdLine, " "), "go mod download") {
			download = i
		}
		if c, ok := c.(*instructions.CopyCommand); ok && copyAll < 0 && c.From == "" &&
			slices.ContainsFunc(c.SourcePaths, wholeContext) {
			copyAll = i
		}
	}
	if download < 0 || (copyAll >= 0 && copyAll < download) {
		add("build stage needs a `go mod download` RUN before copying the whole context (layer caching)")
	}
	gb, err := d.FindGoBuild(st, StageArgs(st, nil))
	if err != nil {
		add("%v", err)
		return p
	}
	if !slices.Contains(gb.Env, "CGO_ENABLED=0") {
		add("go build without CGO_ENABLED=0 (env %q)", gb.Env)
	}
	if !slices.Contains(gb.Argv, "-trimpath") {
		add("go build without -trimpath")
	}
	ldflags, _ := Flag(gb.Argv, "ldflags")
	ld := strings.Fields(ldflags)
	if !slices.Contains(ld, "-s") || !slices.Contains(ld, "-w") {
		add("go build -ldflags %q lacks -s -w", ldflags)
	}
	for _, v := range []string{"Version", "Commit"} {
		if !strings.Contains(ldflags, "-X "+versionPkg+"."+v+"=") {
			add("go build -ldflags %q does not set %s.%s", ldflags, versionPkg, v)
		}
	}
	if out, _ := Flag(gb.Argv, "o"); out == "" {
		add("go build has no -o output path")
	}
	if gb.Argv[len(gb.Argv)-1] != "./cmd/server" {
		add("go build does not build ./cmd/server (argv %q)", gb.Argv)
	}
	targets := map[string]bool{}
	for _, m := range instructions.GetMounts(gb.Run) {
		if m.Type == instructions.MountTypeCache {
			targets[m.Target] = true
		}
	}
	for _, want := range []string{"/go/pkg/mod", "/root/.cache/go-build"} {
		if !targets[want] {
			add("go build RUN lacks --mount=type=cache,target=%s", want)
		}
	}
	return p
}
