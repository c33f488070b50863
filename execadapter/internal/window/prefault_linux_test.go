package window

import (
	"fmt"
	"syscall"
	"testing"

	"github.com/tinywindow/tinywindow/internal/testenv"
)

// TestPrefault checks that after Prefault, filling a set takes (almost) no
// page faults, against many without it, and that it changes no contents.
func TestPrefault(t *testing.T) {
	testenv.SkipAllocations(t)
	const capacity = 1 << 16 // a 4 MiB ring: 1024 pages, 256 more of table
	faults := func(prefault bool) int64 {
		s := New(1e12, capacity)
		if prefault {
			s.Prefault()
		}
		keys := make([][]byte, capacity)
		for i := range keys {
			keys[i] = fmt.Appendf(nil, "key-%d", i)
		}
		var r0, r1 syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &r0)
		for i, k := range keys {
			if s.Add(k, int64(i)) {
				t.Fatalf("fresh key %q is a duplicate", k)
			}
		}
		syscall.Getrusage(syscall.RUSAGE_SELF, &r1)
		for i, k := range keys {
			if !s.Contains(k, int64(i)) {
				t.Fatalf("key %q lost", k)
			}
		}
		return r1.Minflt - r0.Minflt
	}
	cold, warm := faults(false), faults(true)
	t.Logf("page faults filling a set of %d: %d fresh, %d prefaulted", capacity, cold, warm)
	if cold < 500 {
		t.Skipf("only %d page faults without Prefault: this kernel maps pages another way", cold)
	}
	if warm > cold/10 {
		t.Fatalf("%d page faults after Prefault, %d without", warm, cold)
	}
}
