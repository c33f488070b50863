// Command manylinux prints the PEP 600 platform tag (manylinux_2_Y_ARCH) that
// a Linux shared library can carry, judged from what the library links: the
// libraries it needs (DT_NEEDED) and the symbol versions it needs from them.
// It refuses (exit 1, naming why) a library that needs a library outside the
// set every manylinux system has, or a private glibc version; any other
// error exits 2.
//
// The Python build backend (python/_build) tags the wheel with its output:
//
//	go run ./bindings/manylinux libtinywindow.so
//	manylinux_2_34_x86_64
package main

import (
	"debug/elf"
	"fmt"
	"os"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: manylinux SHARED-LIBRARY")
		os.Exit(2)
	}
	f, err := elf.Open(os.Args[1])
	if err != nil {
		fmt.Fprintf(os.Stderr, "manylinux: %v\n", err)
		os.Exit(2)
	}
	defer f.Close()
	p, err := platformOf(f)
	if err != nil {
		fmt.Fprintf(os.Stderr, "manylinux: %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "manylinux: %s needs %s and glibc 2.%d or later (%s)\n", os.Args[1], p.needed, p.glibcMinor, p.glibcFrom)
	fmt.Println(p.Tag())
}
