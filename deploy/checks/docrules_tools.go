package checks

import (
	"path"
	"regexp"
	"slices"
	"strings"
)

// splitArgs separates flags (with the values of those in takesValue) from
// operands, starting after skip words.
func splitArgs(args []string, skip int, takesValue map[string]bool) (flags map[string][]string, operands []string) {
	flags = map[string][]string{}
	for i := skip; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") || a == "-" {
			operands = append(operands, a)
			continue
		}
		if name, value, ok := strings.Cut(a, "="); ok && strings.HasPrefix(a, "--") {
			flags[name] = append(flags[name], value)
			continue
		}
		if takesValue[a] && i+1 < len(args) {
			flags[a] = append(flags[a], args[i+1])
			i++
			continue
		}
		flags[a] = append(flags[a], "")
	}
	return flags, operands
}

var composeValueFlags = map[string]bool{
	"-f": true, "--file": true, "-p": true, "--project-name": true, "--project-directory": true,
	"--env-file": true, "--profile": true, "--ansi": true, "--progress": true, "--parallel": true,
}

var composeVarRe = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)`)

// compose wants the Compose file named (the repository keeps it out of the
// root, where Compose would look), only the file's own variables set, and
// every `up` after one that chose the file's variables to set them again:
// Compose reads them on each run, and without them falls back to the
// file's defaults (the fake key).
func (d *DocCheck) compose(cmd *ShellCommand) []string {
	var problems []string
	flags, operands := splitArgs(cmd.Args, 2, composeValueFlags)
	files := append(flags["-f"], flags["--file"]...)
	if len(files) == 0 {
		problems = append(problems, "names no Compose file: add -f deploy/compose/compose.yaml")
	}
	var fileVars []string
	for _, f := range files {
		p := path.Join(cmd.Dir, f)
		if !d.has(p) {
			problems = append(problems, "Compose file "+p+" does not exist")
			continue
		}
		for _, m := range composeVarRe.FindAllStringSubmatch(d.c.read(d.source(p)), -1) {
			fileVars = append(fileVars, m[1])
		}
	}
	var set []string
	for _, v := range cmd.Env {
		if slices.Contains(fileVars, v) {
			set = append(set, v)
		} else {
			problems = append(problems, v+" is not a variable of the Compose file")
		}
	}
	slices.Sort(set)
	if len(operands) == 0 || !slices.Contains([]string{"up", "create", "run"}, operands[0]) {
		return problems
	}
	if d.composeVars != nil && !slices.Equal(set, d.composeVars) {
		problems = append(problems, "sets "+listOrNone(set)+", but an earlier command chose "+
			strings.Join(d.composeVars, ", ")+": Compose would fall back to the file's defaults")
	}
	if len(set) > 0 {
		d.composeVars = set
	}
	return problems
}

func listOrNone(s []string) string {
	if len(s) == 0 {
		return "none of the Compose file's variables"
	}
	return strings.Join(s, ", ")
}

// dockerBuild returns how many words "docker … build" takes (docker build,
// docker buildx build, docker image build), or 0 for another command.
func dockerBuild(args []string) int {
	switch {
	case len(args) > 1 && args[1] == "build":
		return 2
	case len(args) > 2 && (args[1] == "buildx" || args[1] == "image") && args[2] == "build":
		return 3
	}
	return 0
}

var buildValueFlags = map[string]bool{
	"-t": true, "--tag": true, "-f": true, "--file": true, "--build-arg": true, "--platform": true,
	"--target": true, "--label": true, "--cache-from": true, "--cache-to": true, "--secret": true,
	"--ssh": true, "-o": true, "--output": true, "--progress": true, "--network": true,
	"--iidfile": true, "--metadata-file": true, "--builder": true,
}

// automaticArgs are the build arguments BuildKit fills in itself.
var automaticArgs = []string{
	"TARGETPLATFORM", "TARGETOS", "TARGETARCH", "TARGETVARIANT",
	"BUILDPLATFORM", "BUILDOS", "BUILDARCH", "BUILDVARIANT",
}

var dockerArgRe = regexp.MustCompile(`(?m)^\s*ARG\s+([A-Za-z_][A-Za-z0-9_]*)`)

// dockerBuild wants exactly the Dockerfile's own build arguments passed, so
// a documented build is stamped with its version and commit.
func (d *DocCheck) dockerBuild(cmd *ShellCommand) []string {
	flags, operands := splitArgs(cmd.Args, dockerBuild(cmd.Args), buildValueFlags)
	if len(operands) != 1 {
		return []string{"want one build context"}
	}
	file := path.Join(cmd.Dir, operands[0], "Dockerfile")
	if f := append(flags["-f"], flags["--file"]...); len(f) > 0 {
		file = path.Join(cmd.Dir, f[0])
	}
	text := d.c.read(file)
	if text == "" {
		return []string{"no Dockerfile at " + file}
	}
	var declared, passed []string
	for _, m := range dockerArgRe.FindAllStringSubmatch(text, -1) {
		if !slices.Contains(automaticArgs, m[1]) && !slices.Contains(declared, m[1]) {
			declared = append(declared, m[1])
		}
	}
	for _, a := range flags["--build-arg"] {
		name, _, _ := strings.Cut(a, "=")
		passed = append(passed, name)
	}
	var problems []string
	for _, a := range declared {
		if !slices.Contains(passed, a) {
			problems = append(problems, "does not pass --build-arg "+a+" of "+file)
		}
	}
	for _, a := range passed {
		if !slices.Contains(declared, a) {
			problems = append(problems, "--build-arg "+a+" is not an ARG of "+file)
		}
	}
	return problems
}

var kubectlValueFlags = map[string]bool{
	"-n": true, "--namespace": true, "-f": true, "--filename": true, "-k": true, "--kustomize": true,
	"-o": true, "--output": true, "-l": true, "--selector": true, "-c": true, "--container": true,
	"--context": true, "--kubeconfig": true,
}

// kubectlGlobal are subcommands that touch no namespaced object.
var kubectlGlobal = []string{
	"version", "config", "cluster-info", "api-resources", "api-versions", "completion", "plugin",
	"explain", "kustomize",
}

var kustomizeNamespaceRe = regexp.MustCompile(`(?m)^namespace:\s*\S`)

// kubectl wants every command on vaultgate's objects to name its
// namespace: with -n, through a kustomization that sets it, or by applying
// what a namespaced kubectl printed. Fragments without a target (kubectl
// describe) are prose, not commands.
func (d *DocCheck) kubectl(cmd *ShellCommand, s *ShellSnippet) []string {
	var problems []string
	flags, operands := splitArgs(cmd.Args, 1, kubectlValueFlags)
	files := append(flags["-f"], flags["--filename"]...)
	kustomizations := append(flags["-k"], flags["--kustomize"]...)
	for _, p := range append(slices.Clone(files), kustomizations...) {
		if p != "-" && !d.has(path.Join(cmd.Dir, p)) {
			// Whether it sets a namespace cannot be known either.
			return append(problems, path.Join(cmd.Dir, p)+" does not exist in the repository")
		}
	}
	for _, f := range flags["--from-file"] {
		if _, file, ok := strings.Cut(f, "="); ok {
			f = file
		}
		if p := path.Join(cmd.Dir, f); d.c.isRepoPath(p) && !d.has(p) {
			problems = append(problems, p+" does not exist in the repository")
		}
	}
	if len(operands) == 0 || slices.Contains(kubectlGlobal, operands[0]) {
		return problems
	}
	if len(operands) > 1 && slices.Contains([]string{"namespace", "namespaces", "ns"}, operands[1]) {
		return problems
	}
	if len(operands) == 1 && len(files) == 0 && len(kustomizations) == 0 {
		return problems
	}
	if kubectlNamespaced(flags) {
		return problems
	}
	for _, k := range kustomizations {
		dir := d.source(path.Join(cmd.Dir, k))
		if kustomizeNamespaceRe.MatchString(d.c.read(path.Join(dir, "kustomization.yaml"))) {
			return problems
		}
	}
	if slices.Equal(files, []string{"-"}) && cmd.PipedFrom >= 0 {
		if from := s.Commands[cmd.PipedFrom]; from.Args[0] == "kubectl" {
			if f, _ := splitArgs(from.Args, 1, kubectlValueFlags); kubectlNamespaced(f) {
				return problems
			}
		}
	}
	return append(problems, "does not name the namespace (kubectl -n vaultgate …)")
}

func kubectlNamespaced(flags map[string][]string) bool {
	return len(flags["-n"]) > 0 || len(flags["--namespace"]) > 0 || len(flags["-A"]) > 0 || len(flags["--all-namespaces"]) > 0
}

// kustomize wants `kustomize edit set image NAME=…` to name an image the
// manifests use, so the overlay's images: entry actually replaces it.
func (d *DocCheck) kustomize(cmd *ShellCommand) []string {
	if len(cmd.Args) < 5 || cmd.Args[1] != "edit" || cmd.Args[2] != "set" || cmd.Args[3] != "image" {
		return nil
	}
	var problems []string
	for _, a := range cmd.Args[4:] {
		name, _, _ := strings.Cut(a, "=")
		if !d.c.Images[name] {
			problems = append(problems, "no manifest uses the image "+name)
		}
	}
	return problems
}
