package testenv

import "testing"

// SkipAllocations skips a test that counts allocations or page faults when
// the test binary is built with the race detector or a sanitiser (-race,
// -asan, -msan): they allocate and fault on their own, and make sync.Pool
// drop what it is given. Every such test calls it first, as Go's own
// allocation tests call cryptotest.SkipTestAllocations; CI runs them without
// the race detector in scripts/test.d/20-allocations.sh.
func SkipAllocations(t testing.TB) {
	t.Helper()
	if sanitised {
		t.Skip("allocation and page-fault counts mean nothing under the race detector or a sanitiser; run without -race")
	}
}
