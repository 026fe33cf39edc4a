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
