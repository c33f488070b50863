package main

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tinywindow/tinywindow/internal/testenv"
)

// TestPlatformOf builds real shared libraries with the C compiler and checks
// the tag chosen for each, or the refusal: a library needing pthread_create
// from glibc 2.34's merged libc gets manylinux_2_34, one that needs only old
// symbols the manylinux2014 floor, and one that needs a library of its own
// is refused.
func TestPlatformOf(t *testing.T) {
	cc, err := exec.LookPath("gcc")
	if err != nil {
		testenv.Need(t, "gcc", "apt-get install gcc libc6-dev")
	}
	if _, err := os.Stat("/lib/x86_64-linux-gnu/libc.so.6"); err != nil {
		t.Skip("the test's glibc expectations are for x86_64 Debian bookworm")
	}
	dir := t.TempDir()
	build := func(name, src string, args ...string) string {
		t.Helper()
		c := filepath.Join(dir, name+".c")
		if err := os.WriteFile(c, []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(dir, name+".so")
		cmd := exec.Command(cc, append([]string{"-shared", "-fPIC", "-o", out, c}, args...)...)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%v: %v\n%s", cmd, err, b)
		}
		return out
	}
	old := build("old", "#include <string.h>\nsize_t f(const char *s) { return strlen(s); }\n")
	threads := build("threads", "#include <pthread.h>\nstatic void *g(void *a) { return a; }\nint f(void) { pthread_t t; return pthread_create(&t, 0, g, 0); }\n", "-pthread")
	build("own", "int h(void) { return 1; }\n")
	uses := build("uses", "int h(void);\nint f(void) { return h(); }\n", "-L"+dir, "-l:own.so")

	for _, tc := range []struct {
		name, lib, tag, refusal string
	}{
		{"old symbols only", old, "manylinux_2_17_x86_64", ""},
		{"pthread_create in libc", threads, "manylinux_2_34_x86_64", ""},
		{"a library of its own", uses, "", `needs "own.so"`},
		{"glibc's private symbols", "/lib/x86_64-linux-gnu/libm.so.6", "", "GLIBC_PRIVATE"},
		{"an executable", "/proc/self/exe", "", "not a shared library"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := elf.Open(tc.lib)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			p, err := platformOf(f)
			if tc.refusal != "" {
				if err == nil || !strings.Contains(err.Error(), tc.refusal) {
					t.Fatalf("platformOf: %v, %v; want a refusal saying %q", p.Tag(), err, tc.refusal)
				}
				return
			}
			if err != nil || p.Tag() != tc.tag {
				t.Fatalf("platformOf: %q, %v; want %q", p.Tag(), err, tc.tag)
			}
		})
	}
}
