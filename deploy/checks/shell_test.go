package checks

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseShell(t *testing.T) {
	src := `VERSION=$(git describe --tags)
export GOFLAGS=-mod=mod
A=1 env B=2 go run ./cmd/server -demo
(cd deploy && go test ./...)
kubectl -n x create secret generic s --dry-run=client -o yaml | kubectl apply -f -
cat > trial.env <<'END'
APIDECK_APP_ID=a
END
`
	s, err := ParseShell(src)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"VERSION"}, s.Assigns); diff != "" {
		t.Errorf("assigns (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"GOFLAGS"}, s.Exports); diff != "" {
		t.Errorf("exports (-want +got):\n%s", diff)
	}
	type cmdView struct {
		Args      []string
		Env       []string
		Dir       string
		PipedFrom int
		Writes    []string
		Heredoc   string
	}
	var got []cmdView
	for _, c := range s.Commands {
		got = append(got, cmdView{c.Args, c.Env, c.Dir, c.PipedFrom, c.Writes, c.Heredoc})
	}
	want := []cmdView{
		{Args: []string{"git", "describe", "--tags"}, Dir: ".", PipedFrom: -1},
		{Args: []string{"go", "run", "./cmd/server", "-demo"}, Env: []string{"A", "B"}, Dir: ".", PipedFrom: -1},
		{Args: []string{"cd", "deploy"}, Dir: ".", PipedFrom: -1},
		{Args: []string{"go", "test", "./..."}, Dir: "deploy", PipedFrom: -1},
		{Args: []string{"kubectl", "-n", "x", "create", "secret", "generic", "s", "--dry-run=client", "-o", "yaml"}, Dir: ".", PipedFrom: -1},
		{Args: []string{"kubectl", "apply", "-f", "-"}, Dir: ".", PipedFrom: 4},
		{Args: []string{"cat"}, Dir: ".", PipedFrom: -1, Writes: []string{"trial.env"}, Heredoc: "APIDECK_APP_ID=a\n"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("commands (-want +got):\n%s", diff)
	}
	if !s.Commands[0].Literal[0] || s.Commands[1].Literal[0] != true {
		t.Error("plain words are literal")
	}
	if _, err := ParseShell("for f in *; do echo $f; done"); err == nil {
		t.Error("a loop parsed: documentation should not need one")
	}
}
