package checks

import (
	"fmt"
	"io"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

// Dockerfile is a Dockerfile parsed by BuildKit's own frontend, so the
// checks see exactly the stages and commands `docker build` would.
type Dockerfile struct {
	Stages      []instructions.Stage
	MetaArgs    []instructions.ArgCommand
	EscapeToken rune
	// Warnings holds the parser's and BuildKit linter's findings (the
	// rules `docker build --check` applies at parse time).
	Warnings []string
}

// ParseDockerfile parses and lints a Dockerfile.
func ParseDockerfile(r io.Reader) (*Dockerfile, error) {
	res, err := parser.Parse(r)
	if err != nil {
		return nil, fmt.Errorf("parse Dockerfile: %w", err)
	}
	d := &Dockerfile{EscapeToken: res.EscapeToken}
	for _, w := range res.Warnings {
		d.Warnings = append(d.Warnings, w.Short)
	}
	lint := linter.New(&linter.Config{
		Warn: func(rule, _, _, msg string, loc []parser.Range) {
			line := 0
			if len(loc) > 0 {
				line = loc[0].Start.Line
			}
			d.Warnings = append(d.Warnings, fmt.Sprintf("line %d: %s: %s", line, rule, msg))
		},
	})
	d.Stages, d.MetaArgs, err = instructions.Parse(res.AST, lint)
	if err != nil {
		return nil, fmt.Errorf("parse Dockerfile instructions: %w", err)
	}
	return d, nil
}

// Final returns the last stage, the one that becomes the image.
func (d *Dockerfile) Final() *instructions.Stage {
	if len(d.Stages) == 0 {
		return nil
	}
	return &d.Stages[len(d.Stages)-1]
}

// StageArgs returns the defaults of the ARGs a stage declares, overridden
// by build args (as `docker build --build-arg` would).
func StageArgs(st *instructions.Stage, buildArgs map[string]string) map[string]string {
	args := map[string]string{}
	for _, c := range st.Commands {
		a, ok := c.(*instructions.ArgCommand)
		if !ok {
			continue
		}
		for _, kv := range a.Args {
			v, given := buildArgs[kv.Key]
			switch {
			case given:
				args[kv.Key] = v
			case kv.Value != nil:
				args[kv.Key] = *kv.Value
			default:
				args[kv.Key] = ""
			}
		}
	}
	return args
}

// GoBuild is the `go build` command of a RUN instruction, split the way
// /bin/sh would split it: leading NAME=value words become Env.
type GoBuild struct {
	Run  *instructions.RunCommand
	Env  []string // NAME=value, in order
	Argv []string // "go", "build", flags…, packages
}

// FindGoBuild returns the RUN of st that runs `go build`, with its words
// expanded against args. It fails unless there is exactly one such RUN and
// it is one simple command (no &&, ;, pipes or subshells to hide flags in).
func (d *Dockerfile) FindGoBuild(st *instructions.Stage, args map[string]string) (*GoBuild, error) {
	var found *GoBuild
	for _, c := range st.Commands {
		run, ok := c.(*instructions.RunCommand)
		if !ok || !strings.Contains(strings.Join(run.CmdLine, " "), "go build") {
			continue
		}
		if found != nil {
			return nil, fmt.Errorf("stage %q has more than one RUN with go build", st.Name)
		}
		gb, err := d.splitGoBuild(run, args)
		if err != nil {
			return nil, err
		}
		found = gb
	}
	if found == nil {
		return nil, fmt.Errorf("stage %q has no RUN with go build", st.Name)
	}
	return found, nil
}

func (d *Dockerfile) splitGoBuild(run *instructions.RunCommand, args map[string]string) (*GoBuild, error) {
	if !run.PrependShell || len(run.CmdLine) != 1 {
		return nil, fmt.Errorf("the go build RUN must be in shell form")
	}
	line := run.CmdLine[0]
	if strings.ContainsAny(line, ";|&`()") || strings.Contains(line, "$(") {
		return nil, fmt.Errorf("the go build RUN must be one simple command, got %q", line)
	}
	env := make([]string, 0, len(args))
	for k, v := range args {
		env = append(env, k+"="+v)
	}
	lex, envs := shell.NewLex(d.EscapeToken), shell.EnvsFromSlice(env)
	words, err := lex.ProcessWords(line, envs)
	if err != nil {
		return nil, fmt.Errorf("expand go build RUN: %w", err)
	}
	// --mount flags are only fully parsed once expanded.
	err = run.Expand(func(w string) (string, error) {
		s, _, err := lex.ProcessWord(w, envs)
		return s, err
	})
	if err != nil {
		return nil, fmt.Errorf("expand go build RUN flags: %w", err)
	}
	gb := &GoBuild{Run: run}
	i := 0
	for ; i < len(words) && isAssignment(words[i]); i++ {
		gb.Env = append(gb.Env, words[i])
	}
	gb.Argv = words[i:]
	if len(gb.Argv) < 2 || gb.Argv[0] != "go" || gb.Argv[1] != "build" {
		return nil, fmt.Errorf("the RUN does not start with go build after its variables: %q", words)
	}
	return gb, nil
}

// isAssignment reports whether w is a shell NAME=value word.
func isAssignment(w string) bool {
	name, _, ok := strings.Cut(w, "=")
	if !ok || name == "" {
		return false
	}
	for i, r := range name {
		letter := r == '_' || (r >= 'A' && r <= 'Z') || (r >= 'a' && r <= 'z')
		if !letter && (i == 0 || r < '0' || r > '9') {
			return false
		}
	}
	return true
}

// Flag returns the value of a `-name value` or `-name=value` flag of a go
// command line, and whether it is present.
func Flag(argv []string, name string) (string, bool) {
	for i, a := range argv {
		a = "-" + strings.TrimLeft(a, "-")
		switch {
		case a == "-"+name && i+1 < len(argv):
			return argv[i+1], true
		case strings.HasPrefix(a, "-"+name+"="):
			return strings.TrimPrefix(a, "-"+name+"="), true
		}
	}
	return "", false
}
