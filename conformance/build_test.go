package conformance

import "testing"

// TestBuildRevisionFallback checks the link-time revision used where the
// toolchain records none (go test never stamps VCS information).
func TestBuildRevisionFallback(t *testing.T) {
	b, _ := readBuild()
	if b.RevisionSource != "unknown" || b.Revision != "" {
		t.Fatalf("a test binary has no VCS stamp, yet readBuild says %+v", b)
	}
	old, oldMod := revision, modified
	defer func() { revision, modified = old, oldMod }()
	revision, modified = "0123456789abcdef0123456789abcdef01234567", "true"
	b, _ = readBuild()
	if b.Revision != revision || !b.Modified || b.RevisionSource != "ldflags" {
		t.Fatalf("readBuild with a link-time revision: %+v", b)
	}
}
