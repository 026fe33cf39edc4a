package checks

import (
	"fmt"
	"path"
	"regexp"
	"strings"
)

// DocCheck checks the shell snippets of one document in reading order:
// files a snippet creates (cp, mkdir, > file) exist for the snippets after
// it, and Compose variables chosen once must be kept.
type DocCheck struct {
	c       *DocContext
	created map[string]string // repository-relative path → what it was copied from ("" if written)
	// composeVars are the Compose file's variables the last documented
	// `up` set; nil before any did.
	composeVars []string
}

// NewDoc starts checking one document.
func (c *DocContext) NewDoc() *DocCheck {
	return &DocCheck{c: c, created: map[string]string{}}
}

// Snippet returns the problems of one parsed snippet, each naming its line
// within the snippet.
func (d *DocCheck) Snippet(s *ShellSnippet) []string {
	var problems []string
	add := func(line int, format string, args ...any) {
		problems = append(problems, fmt.Sprintf("line %d: ", line)+fmt.Sprintf(format, args...))
	}
	if len(s.Commands) == 0 {
		// A block of assignments only is an environment for vaultgate.
		for _, name := range s.Assigns {
			if !d.c.VaultgateVars[name] {
				add(1, "%s is not a variable vaultgate reads", name)
			}
		}
	}
	for _, name := range s.Exports {
		if !d.c.VaultgateVars[name] && !d.c.ToolVars[name] {
			add(1, "export %s: not a variable vaultgate or the Go toolchain reads", name)
		}
	}
	for i := range s.Commands {
		cmd := &s.Commands[i]
		// What a command creates (cp's target, > file) is not missing.
		d.noteCreated(cmd)
		for _, p := range d.command(cmd, s) {
			add(cmd.Line, "%s: %s", strings.Join(cmd.Args, " "), p)
		}
	}
	return problems
}

// command returns the problems of one command.
func (d *DocCheck) command(cmd *ShellCommand, s *ShellSnippet) []string {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	name := cmd.Args[0]
	if strings.HasPrefix(name, "./") {
		if p := path.Join(cmd.Dir, name); !d.has(p) {
			add("%s does not exist", p)
		}
	}
	compose := name == "docker" && len(cmd.Args) > 1 && cmd.Args[1] == "compose"
	if !compose {
		for _, v := range cmd.Env {
			if !d.c.VaultgateVars[v] && !d.c.ToolVars[v] {
				add("%s is not a variable vaultgate or the Go toolchain reads", v)
			}
		}
	}
	switch {
	case compose:
		problems = append(problems, d.compose(cmd)...)
	case name == "docker" && dockerBuild(cmd.Args) > 0:
		problems = append(problems, d.dockerBuild(cmd)...)
	case name == "kubectl":
		problems = append(problems, d.kubectl(cmd, s)...)
	case name == "go":
		problems = append(problems, d.goCommand(cmd)...)
	case name == "kustomize":
		problems = append(problems, d.kustomize(cmd)...)
	case name == "." || name == "source":
		for _, a := range cmd.Args[1:] {
			if p := path.Join(cmd.Dir, a); !d.has(p) {
				add("sources %s, which neither exists nor was created above", p)
			}
		}
	default:
		for _, p := range d.pathArgs(cmd) {
			add("%s does not exist in the repository", p)
		}
	}
	if cmd.Heredoc != "" && len(cmd.Writes) > 0 && strings.HasSuffix(cmd.Writes[0], ".env") {
		for _, v := range envFileNames(cmd.Heredoc) {
			if !d.c.VaultgateVars[v] {
				add("%s in %s is not a variable vaultgate reads", v, cmd.Writes[0])
			}
		}
	}
	return problems
}

// pathArgs returns the literal arguments (or values after '=') that name a
// repository path which does not exist. Commands with their own rules
// (go, docker, kubectl) check their paths there.
func (d *DocCheck) pathArgs(cmd *ShellCommand) []string {
	var missing []string
	for i, a := range cmd.Args[1:] {
		if !cmd.Literal[i+1] {
			continue
		}
		candidates := []string{a}
		if j := strings.LastIndex(a, "="); j >= 0 {
			candidates = []string{a[j+1:]}
		}
		for _, cand := range candidates {
			// After a cd, only words that look like paths are paths.
			if cand == "" || strings.HasPrefix(cand, "-") || strings.Contains(cand, "://") ||
				(cmd.Dir != "." && !strings.Contains(cand, "/")) {
				continue
			}
			p := path.Join(cmd.Dir, strings.TrimSuffix(cand, "/..."))
			if d.c.isRepoPath(p) && !d.has(p) {
				missing = append(missing, p)
			}
		}
	}
	return missing
}

// has reports whether p exists in the repository or was created above.
func (d *DocCheck) has(p string) bool {
	if _, ok := d.created[p]; ok {
		return true
	}
	for c := range d.created {
		if strings.HasPrefix(p, c+"/") {
			return true
		}
	}
	return d.c.exists(p)
}

// source returns what p was copied from (itself when it was not).
func (d *DocCheck) source(p string) string {
	for c, from := range d.created {
		if from != "" && (p == c || strings.HasPrefix(p, c+"/")) {
			return from + strings.TrimPrefix(p, c)
		}
	}
	return p
}

// noteCreated records what a command creates: cp's target, mkdir's
// directories, files written by redirections.
func (d *DocCheck) noteCreated(cmd *ShellCommand) {
	for _, w := range cmd.Writes {
		d.created[w] = ""
	}
	var operands []string
	for i, a := range cmd.Args[1:] {
		if !strings.HasPrefix(a, "-") && cmd.Literal[i+1] {
			operands = append(operands, path.Join(cmd.Dir, a))
		}
	}
	switch cmd.Args[0] {
	case "cp":
		if len(operands) == 2 {
			d.created[operands[1]] = operands[0]
		}
	case "mkdir":
		for _, o := range operands {
			d.created[o] = ""
		}
	}
}

// envFileNames returns the variable names an environment file assigns.
func envFileNames(body string) []string {
	re := regexp.MustCompile(`(?m)^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=`)
	var names []string
	for _, m := range re.FindAllStringSubmatch(body, -1) {
		names = append(names, m[1])
	}
	return names
}
