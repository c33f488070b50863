package main

import (
	"cmp"
	"debug/elf"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// allowedLibraries are the libraries PEP 600 lets a manylinux wheel assume
// on the system (the glibc family; the list of the manylinux policies less
// the X11 and OpenGL libraries, which nothing here needs). A library needing
// anything else must carry it, and this tool does not vendor libraries.
var allowedLibraries = []string{
	"libc.so.6", "libm.so.6", "libdl.so.2", "libpthread.so.0", "librt.so.1",
	"libresolv.so.2", "libutil.so.1", "libgcc_s.so.1", "libstdc++.so.6",
	"ld-linux-x86-64.so.2", "ld-linux-aarch64.so.1",
}

// platform is what a shared library needs of the system it runs on.
type platform struct {
	arch       string   // the manylinux architecture name (x86_64, aarch64)
	needed     []string // the libraries it needs
	glibcMinor int      // the highest GLIBC_2.Y version it needs
	glibcFrom  string   // a symbol version that set glibcMinor, for the report
}

// Tag is the PEP 600 platform tag of p.
func (p platform) Tag() string {
	return fmt.Sprintf("manylinux_2_%d_%s", p.glibcMinor, p.arch)
}

// platformOf reads what f needs of the system: the architecture, the needed
// libraries, each checked against allowedLibraries, and the glibc symbol
// versions. Library versions other than GLIBC_2.Y (GCC_, GLIBCXX_, CXXABI_)
// are refused, since nothing built here should need libgcc_s or libstdc++.
func platformOf(f *elf.File) (platform, error) {
	var p platform
	switch f.Machine {
	case elf.EM_X86_64:
		p.arch = "x86_64"
	case elf.EM_AARCH64:
		p.arch = "aarch64"
	default:
		return p, fmt.Errorf("architecture %v has no manylinux tag here", f.Machine)
	}
	if f.Type != elf.ET_DYN {
		return p, fmt.Errorf("is %v, not a shared library", f.Type)
	}
	needed, err := f.ImportedLibraries()
	if err != nil {
		return p, fmt.Errorf("reading the needed libraries: %w", err)
	}
	for _, lib := range needed {
		if !slices.Contains(allowedLibraries, lib) {
			return p, fmt.Errorf("needs %q, which a manylinux system need not have (allowed: %s)", lib, strings.Join(allowedLibraries, ", "))
		}
	}
	p.needed = needed
	needs, err := f.DynamicVersionNeeds()
	if err != nil {
		return p, fmt.Errorf("reading the needed symbol versions: %w", err)
	}
	p.glibcMinor = 17 // manylinux2014's floor: the oldest tag a package index takes
	p.glibcFrom = "the manylinux2014 floor"
	for _, need := range needs {
		for _, v := range need.Needs {
			minor, err := glibcMinor(v.Dep)
			if err != nil {
				return p, fmt.Errorf("%s from %s: %w", v.Dep, need.Name, err)
			}
			if cmp.Compare(minor, p.glibcMinor) > 0 {
				p.glibcMinor, p.glibcFrom = minor, v.Dep+" of "+need.Name
			}
		}
	}
	return p, nil
}

// glibcMinor returns Y of the symbol version GLIBC_2.Y or GLIBC_2.Y.Z.
func glibcMinor(version string) (int, error) {
	rest, ok := strings.CutPrefix(version, "GLIBC_2.")
	if !ok {
		return 0, fmt.Errorf("only GLIBC_2.* symbol versions are allowed")
	}
	minor, _, _ := strings.Cut(rest, ".")
	n, err := strconv.Atoi(minor)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("not a glibc version")
	}
	return n, nil
}
