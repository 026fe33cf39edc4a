package checks

import (
	"bytes"
	"debug/buildinfo"
	"debug/elf"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestDockerfileGoBuildMakesStaticBinary runs the Dockerfile's own go build
// command (flags and environment as written there) in the repository root
// and checks that the result would run on distroless/static: a static,
// stripped ELF carrying the build settings the Dockerfile asks for.
func TestDockerfileGoBuildMakesStaticBinary(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the image is linux; the ELF checks need a linux build")
	}
	root := repoRoot(t)
	d := parseDockerfile(t, readRepoFile(t, "Dockerfile"))
	build := &d.Stages[0]
	const version, commit = "v0.0.0-deploycheck", "0123456789abcdef"
	args := StageArgs(build, map[string]string{
		"TARGETOS": runtime.GOOS, "TARGETARCH": runtime.GOARCH,
		"VERSION": version, "COMMIT": commit,
	})
	gb, err := d.FindGoBuild(build, args)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "vaultgate")
	argv := withOutput(t, gb.Argv, out)

	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = root
	// The service module is built on its own, as in the image: no
	// workspace, and the Dockerfile's variables win over the caller's.
	cmd.Env = append(os.Environ(), "GOWORK=off")
	cmd.Env = append(cmd.Env, gb.Env...)
	t.Logf("in %s: %s %s", root, strings.Join(gb.Env, " "), strings.Join(argv, " "))
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}

	problems, err := StaticELFProblems(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Error(p)
	}
	f, err := elf.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Section(".symtab") != nil {
		t.Error("binary keeps its symbol table: -ldflags -s did not apply")
	}

	info, err := buildinfo.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	for key, want := range map[string]string{"CGO_ENABLED": "0", "-trimpath": "true", "GOOS": runtime.GOOS} {
		if settings[key] != want {
			t.Errorf("build setting %s = %q, want %q", key, settings[key], want)
		}
	}
	if info.Path != "github.com/vaultgate/vaultgate/cmd/server" {
		t.Errorf("main package = %q, want github.com/vaultgate/vaultgate/cmd/server", info.Path)
	}
	// -trimpath keeps -ldflags out of the build info, so look for the
	// stamped values themselves: the linker drops an -X whose target does
	// not exist, and nothing else puts these strings in the binary.
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{version, commit} {
		if !bytes.Contains(b, []byte(v)) {
			t.Errorf("binary does not contain %q: -X %s.… did not apply", v, versionPkg)
		}
	}
	if bytes.Contains(b, []byte(root)) {
		t.Errorf("binary contains the build directory %s: -trimpath did not apply", root)
	}
}

// withOutput returns argv with its -o value replaced by out.
func withOutput(t *testing.T, argv []string, out string) []string {
	t.Helper()
	res := append([]string(nil), argv...)
	for i, a := range res {
		if a == "-o" && i+1 < len(res) {
			res[i+1] = out
			return res
		}
	}
	t.Fatalf("go build command %q has no -o", argv)
	return nil
}

// The -X flags only work on package-level string variables (not constants,
// not initialised from a function call): check the stamped ones are that.
func TestVersionVariablesAreStampable(t *testing.T) {
	dir := filepath.Join(repoRoot(t), "internal", "app")
	fset := token.NewFileSet()
	names, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var files []*ast.File
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	found := map[string]bool{}
	for _, file := range files {
		for _, decl := range file.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.VAR {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, name := range vs.Names {
					if i < len(vs.Values) {
						if _, lit := vs.Values[i].(*ast.BasicLit); !lit {
							continue
						}
					}
					found[name.Name] = true
				}
			}
		}
	}
	for _, v := range []string{"Version", "Commit"} {
		if !found[v] {
			t.Errorf("%s has no string variable %s initialised by a literal (or not at all)", versionPkg, v)
		}
	}
}

func TestStaticELFProblemsFlagsDynamicBinary(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh to inspect")
	}
	f, err := elf.Open(sh)
	if err != nil {
		t.Skipf("%s is not ELF: %v", sh, err)
	}
	dynamic := f.SectionByType(elf.SHT_DYNAMIC) != nil
	f.Close()
	if !dynamic {
		t.Skipf("%s is static here", sh)
	}
	problems, err := StaticELFProblems(sh)
	if err != nil {
		t.Fatal(err)
	}
	if !containsAny(problems, "PT_INTERP") || !containsAny(problems, "shared library") {
		t.Errorf("problems for dynamic %s = %q; want PT_INTERP and shared library", sh, problems)
	}
}
