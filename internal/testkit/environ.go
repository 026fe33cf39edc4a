package testkit

import "slices"

// Environ turns vars into os.Environ's form, sorted: a whole environment
// for code that reads its variables from a list, into which nothing of the
// test process's own environment enters.
func Environ(vars map[string]string) []string {
	out := make([]string, 0, len(vars))
	for k, v := range vars {
		out = append(out, k+"="+v)
	}
	slices.Sort(out)
	return out
}
