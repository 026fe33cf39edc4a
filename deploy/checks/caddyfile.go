package checks

import (
	"fmt"
	"slices"
	"strings"
)

// CaddyBlock is one directive line of a Caddyfile with its nested block.
type CaddyBlock struct {
	Tokens   []string
	Children []CaddyBlock
}

// ParseCaddyfile splits a Caddyfile into directives and blocks. It handles
// what the example proxy config uses (comments, one directive per line,
// "{" at a line's end, "}" alone), not the whole Caddyfile grammar.
func ParseCaddyfile(src string) ([]CaddyBlock, error) {
	root := &CaddyBlock{}
	stack := []*CaddyBlock{root}
	for n, line := range strings.Split(src, "\n") {
		if i := strings.Index(line, "#"); i >= 0 && (i == 0 || line[i-1] == ' ' || line[i-1] == '\t') {
			line = line[:i]
		}
		tokens := strings.Fields(line)
		if len(tokens) == 0 {
			continue
		}
		top := stack[len(stack)-1]
		switch {
		case len(tokens) == 1 && tokens[0] == "}":
			if len(stack) == 1 {
				return nil, fmt.Errorf("line %d: unbalanced }", n+1)
			}
			stack = stack[:len(stack)-1]
		case tokens[len(tokens)-1] == "{":
			top.Children = append(top.Children, CaddyBlock{Tokens: tokens[:len(tokens)-1]})
			stack = append(stack, &top.Children[len(top.Children)-1])
		default:
			top.Children = append(top.Children, CaddyBlock{Tokens: tokens})
		}
	}
	if len(stack) != 1 {
		return nil, fmt.Errorf("%d unclosed blocks", len(stack)-1)
	}
	return root.Children, nil
}

// Find returns the first child whose tokens start with prefix.
func (b CaddyBlock) Find(prefix ...string) (CaddyBlock, bool) {
	for _, c := range b.Children {
		if len(c.Tokens) >= len(prefix) && slices.Equal(c.Tokens[:len(prefix)], prefix) {
			return c, true
		}
	}
	return CaddyBlock{}, false
}

// CaddyRoutes reads the handle blocks of a site: the paths whose block
// proxies to upstream (a named `@name path …` matcher resolved), where the
// bare `handle` (the rest of the site) proxies to, and problems: upstream
// reached other than through a path-limited handle, or another port of
// upstream's host proxied at all.
func CaddyRoutes(site CaddyBlock, upstream string) (paths []string, fallback string, problems []string) {
	matchers := map[string][]string{}
	for _, c := range site.Children {
		if len(c.Tokens) > 0 && strings.HasPrefix(c.Tokens[0], "@") {
			if len(c.Tokens) > 2 && c.Tokens[1] == "path" {
				matchers[c.Tokens[0]] = c.Tokens[2:]
			} else {
				matchers[c.Tokens[0]] = nil
			}
		}
	}
	limited := 0
	for _, c := range site.Children {
		if len(c.Tokens) == 0 || c.Tokens[0] != "handle" {
			continue
		}
		proxy, _ := c.Find("reverse_proxy")
		targets := proxy.Tokens[min(1, len(proxy.Tokens)):]
		switch {
		case len(c.Tokens) == 1:
			fallback = strings.Join(targets, " ")
		case !slices.Contains(targets, upstream):
		case strings.HasPrefix(c.Tokens[1], "@"):
			m, ok := matchers[c.Tokens[1]]
			if len(m) == 0 {
				problems = append(problems, fmt.Sprintf("handle %s: want a `%s path …` matcher (defined: %t)", c.Tokens[1], c.Tokens[1], ok))
			}
			paths, limited = append(paths, m...), limited+1
		default:
			paths, limited = append(paths, c.Tokens[1:]...), limited+1
		}
	}
	host, _, _ := strings.Cut(upstream, ":")
	all := 0
	var walk func(CaddyBlock)
	walk = func(b CaddyBlock) {
		if len(b.Tokens) > 1 && b.Tokens[0] == "reverse_proxy" {
			for _, target := range b.Tokens[1:] {
				if target == upstream {
					all++
				} else if strings.HasPrefix(target, host+":") {
					problems = append(problems, fmt.Sprintf("proxies to %s: only %s belongs behind the proxy", target, upstream))
				}
			}
		}
		for _, c := range b.Children {
			walk(c)
		}
	}
	walk(site)
	if all != limited {
		problems = append(problems, fmt.Sprintf("%d of %d proxies to %s are outside a path-limited handle", all-limited, all, upstream))
	}
	return paths, fallback, problems
}
