package checks

import (
	"fmt"
	"path"
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// ShellCommand is one simple command of a documented shell snippet as the
// shell would run it. Expansions stay as written ("$IMAGE", "$(…)"), so
// only literal words are checked against the repository.
type ShellCommand struct {
	Args    []string // the words, assignments and redirections left out
	Literal []bool   // Literal[i]: Args[i] holds no expansion
	Env     []string // names set for this command alone: NAME=v cmd, env NAME=v cmd
	Dir     string   // working directory relative to the snippet's start ("." at first)
	// PipedFrom is the index in ShellSnippet.Commands of the command whose
	// output this one reads through a pipe, or -1.
	PipedFrom int
	Writes    []string // files written by > and >> (relative to the start)
	Heredoc   string   // here-document body, if any
	Line      int      // line within the snippet, from 1
}

// ShellSnippet is a parsed snippet: its commands in the order they run,
// the names it assigns without a command (shell variables) and the names
// it exports.
type ShellSnippet struct {
	Commands []ShellCommand
	Assigns  []string
	Exports  []string
}

// ParseShell parses a bash snippet. Constructs a runbook has no business
// with (loops, functions, conditionals) are errors: documented commands stay
// simple enough to read, and to check.
func ParseShell(src string) (*ShellSnippet, error) {
	f, err := syntax.NewParser(syntax.Variant(syntax.LangBash)).Parse(strings.NewReader(src), "")
	if err != nil {
		return nil, err
	}
	w := &shellWalker{out: &ShellSnippet{}}
	w.stmts(f.Stmts, ".")
	if w.err != nil {
		return nil, w.err
	}
	return w.out, nil
}

type shellWalker struct {
	out *ShellSnippet
	err error
}

// stmts walks a statement list and returns the directory it leaves.
func (w *shellWalker) stmts(stmts []*syntax.Stmt, dir string) string {
	for _, s := range stmts {
		dir = w.stmt(s, dir, -1)
	}
	return dir
}

func (w *shellWalker) stmt(s *syntax.Stmt, dir string, pipedFrom int) string {
	switch c := s.Cmd.(type) {
	case *syntax.CallExpr:
		return w.call(s, c, dir, pipedFrom)
	case *syntax.BinaryCmd:
		dir = w.stmt(c.X, dir, pipedFrom)
		if c.Op == syntax.Pipe || c.Op == syntax.PipeAll {
			return w.stmt(c.Y, dir, len(w.out.Commands)-1)
		}
		return w.stmt(c.Y, dir, -1)
	case *syntax.Subshell:
		w.stmts(c.Stmts, dir)
		return dir // a subshell's cd ends with it
	case *syntax.Block:
		return w.stmts(c.Stmts, dir)
	case *syntax.DeclClause:
		if c.Variant.Value != "export" {
			w.fail(s, "%s is not expected in documentation", c.Variant.Value)
		}
		for _, a := range c.Args {
			if a.Name != nil {
				w.out.Exports = append(w.out.Exports, a.Name.Value)
			}
		}
		return dir
	default:
		w.fail(s, "%T is more shell than documentation should need", c)
		return dir
	}
}

func (w *shellWalker) call(s *syntax.Stmt, c *syntax.CallExpr, dir string, pipedFrom int) string {
	for _, a := range c.Assigns {
		if a.Value != nil {
			w.word(a.Value, dir) // walks the commands of VERSION=$(git describe)
		}
	}
	if len(c.Args) == 0 {
		for _, a := range c.Assigns {
			w.out.Assigns = append(w.out.Assigns, a.Name.Value)
		}
		return dir
	}
	cmd := ShellCommand{Dir: dir, PipedFrom: pipedFrom, Line: int(s.Pos().Line())}
	for _, a := range c.Assigns {
		cmd.Env = append(cmd.Env, a.Name.Value)
	}
	for _, word := range c.Args {
		text, lit := w.word(word, dir)
		cmd.Args = append(cmd.Args, text)
		cmd.Literal = append(cmd.Literal, lit)
	}
	// env NAME=value cmd sets NAME for cmd alone, like a prefix.
	if cmd.Args[0] == "env" {
		i := 1
		for ; i < len(cmd.Args); i++ {
			name, _, ok := strings.Cut(cmd.Args[i], "=")
			if !ok || !validName(name) {
				break
			}
			cmd.Env = append(cmd.Env, name)
		}
		if i < len(cmd.Args) {
			cmd.Args, cmd.Literal = cmd.Args[i:], cmd.Literal[i:]
		}
	}
	for _, r := range s.Redirs {
		switch r.Op {
		case syntax.RdrOut, syntax.AppOut:
			if t, lit := w.word(r.Word, dir); lit {
				cmd.Writes = append(cmd.Writes, path.Join(dir, t))
			}
		case syntax.Hdoc, syntax.DashHdoc:
			if r.Hdoc != nil {
				cmd.Heredoc, _ = w.word(r.Hdoc, dir)
			}
		}
	}
	w.out.Commands = append(w.out.Commands, cmd)
	if cmd.Args[0] == "cd" && len(cmd.Args) == 2 && cmd.Literal[1] {
		return path.Join(dir, cmd.Args[1])
	}
	return dir
}

// word renders a word with its expansions as written; the commands inside a
// command substitution are walked too (they run). lit reports a word
// without expansions.
func (w *shellWalker) word(word *syntax.Word, dir string) (text string, lit bool) {
	var b strings.Builder
	lit = true
	var part func(p syntax.WordPart)
	part = func(p syntax.WordPart) {
		switch p := p.(type) {
		case *syntax.Lit:
			b.WriteString(p.Value)
		case *syntax.SglQuoted:
			b.WriteString(p.Value)
		case *syntax.DblQuoted:
			for _, q := range p.Parts {
				part(q)
			}
		case *syntax.ParamExp:
			lit = false
			name := ""
			if p.Param != nil {
				name = p.Param.Value
			}
			b.WriteString("$" + name)
		case *syntax.CmdSubst:
			lit = false
			w.stmts(p.Stmts, dir)
			b.WriteString("$(…)")
		default:
			lit = false
			b.WriteString("…")
		}
	}
	for _, p := range word.Parts {
		part(p)
	}
	return b.String(), lit
}

func (w *shellWalker) fail(s *syntax.Stmt, format string, args ...any) {
	if w.err == nil {
		w.err = fmt.Errorf("line %d: %s", s.Pos().Line(), fmt.Sprintf(format, args...))
	}
}

// validName reports whether s is a shell variable name.
func validName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if r != '_' && (r < 'A' || r > 'Z') && (r < 'a' || r > 'z') && (i == 0 || r < '0' || r > '9') {
			return false
		}
	}
	return true
}
