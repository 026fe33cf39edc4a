package checks

import (
	"debug/elf"
	"fmt"
)

// StaticELFProblems lists why the ELF file at path would not run on a
// distroless static (or scratch) image, which has no dynamic loader and no
// libc: a PT_INTERP program header or any DT_NEEDED library.
func StaticELFProblems(path string) ([]string, error) {
	f, err := elf.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var p []string
	for _, prog := range f.Progs {
		if prog.Type == elf.PT_INTERP {
			p = append(p, "has a PT_INTERP program header (needs a dynamic loader)")
		}
	}
	libs, err := f.DynString(elf.DT_NEEDED)
	if err != nil {
		return nil, fmt.Errorf("read DT_NEEDED: %w", err)
	}
	for _, l := range libs {
		p = append(p, "needs shared library "+l)
	}
	return p, nil
}
