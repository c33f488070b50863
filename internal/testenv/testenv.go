// Package testenv holds helpers shared by TinyWindow's tests for reaching the
// real parts they need (SoftHSM2, local-kms, Node and liboqs-js).
package testenv

import (
	"os"
	"testing"
)

// InCI reports whether the tests run under CI (CI=true), where every
// integration test that CI installs the parts for must run, not skip.
func InCI() bool { return os.Getenv("CI") == "true" }

// Need ends the test when a real part it needs is missing: outside CI it
// skips, saying what is missing and how to get it; under CI it fails, because
// CI installs every part and a skip there would hide a broken set-up.
func Need(t testing.TB, what, howToGet string) {
	t.Helper()
	if InCI() {
		t.Fatalf("%s is missing under CI (CI=true), where it must be present: %s", what, howToGet)
	}
	t.Skipf("%s is missing: %s", what, howToGet)
}
