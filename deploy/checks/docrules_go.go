package checks

import (
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

var goValueFlags = map[string]bool{
	"-o": true, "-run": true, "-bench": true, "-benchtime": true, "-count": true, "-timeout": true,
	"-fuzz": true, "-fuzztime": true, "-tags": true, "-ldflags": true, "-gcflags": true, "-p": true,
	"-skip": true, "-cpu": true, "-parallel": true,
}

// goCommand wants every package a go command names to exist, and the
// flags passed to a program started with go run to be flags it defines.
func (d *DocCheck) goCommand(cmd *ShellCommand) []string {
	if len(cmd.Args) < 2 || !slices.Contains([]string{"run", "build", "test", "vet", "install", "list"}, cmd.Args[1]) {
		return nil
	}
	var problems []string
	args := cmd.Args[2:]
	if cmd.Args[1] == "run" {
		for i, a := range args {
			if strings.HasPrefix(a, ".") {
				problems = append(problems, d.goPackage(path.Join(cmd.Dir, a))...)
				problems = append(problems, d.programFlags(path.Join(cmd.Dir, a), args[i+1:])...)
				return problems
			}
		}
		return []string{"go run names no package"}
	}
	_, operands := splitArgs(args, 0, goValueFlags)
	for _, a := range operands {
		if strings.HasPrefix(a, ".") {
			problems = append(problems, d.goPackage(path.Join(cmd.Dir, a))...)
		}
	}
	return problems
}

// goPackage checks a package path or pattern (./..., ./cmd/server).
func (d *DocCheck) goPackage(p string) []string {
	if dir, ok := strings.CutSuffix(p, "/..."); ok || p == "..." {
		if !ok {
			dir = "."
		}
		if !d.has(dir) {
			return []string{"package pattern " + p + ": " + dir + " does not exist"}
		}
		return nil
	}
	if len(goFiles(filepath.Join(d.c.Root, filepath.FromSlash(p)))) == 0 {
		return []string{"package " + p + " does not exist (no Go files there)"}
	}
	return nil
}

// programFlags checks that each -flag passed to the program in pkg is
// defined by it or by the internal packages it hands its arguments to.
func (d *DocCheck) programFlags(pkg string, args []string) []string {
	var defined []string
	sources := goFiles(filepath.Join(d.c.Root, filepath.FromSlash(pkg)))
	_ = filepath.WalkDir(filepath.Join(d.c.Root, "internal"), func(p string, e os.DirEntry, err error) error {
		if err == nil && e.IsDir() {
			sources = append(sources, goFiles(p)...)
		}
		return nil
	})
	flagRe := regexp.MustCompile(`\.(?:Bool|String|Duration|Int|Int64|Uint|Float64|Func|BoolFunc|TextVar|Var|BoolVar|StringVar|DurationVar|IntVar)\((?:[^"()]*,\s*)?"([A-Za-z0-9-]+)"`)
	for _, f := range sources {
		b, _ := os.ReadFile(f)
		for _, m := range flagRe.FindAllStringSubmatch(string(b), -1) {
			defined = append(defined, m[1])
		}
	}
	var problems []string
	for _, a := range args {
		if !strings.HasPrefix(a, "-") || a == "-" || a == "--" {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if name != "h" && name != "help" && !slices.Contains(defined, name) {
			problems = append(problems, pkg+" defines no flag -"+name)
		}
	}
	return problems
}

// goFiles returns the non-test Go files of a directory.
func goFiles(dir string) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var files []string
	for _, e := range entries {
		if n := e.Name(); !e.IsDir() && strings.HasSuffix(n, ".go") && !strings.HasSuffix(n, "_test.go") {
			files = append(files, filepath.Join(dir, n))
		}
	}
	return files
}
