//go:build unix

package provider

import (
	"bytes"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestWriteSecretFileRemovesOnFailure makes the write itself fail (the file
// size limit is lower than the data, so write(2) fails with EFBIG) and checks
// that no truncated key file is left.
func TestWriteSecretFileRemovesOnFailure(t *testing.T) {
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
		t.Skipf("getrlimit: %v", err)
	}
	// SIGXFSZ would kill the process; Go ignores it, so write returns EFBIG.
	lim := old
	lim.Cur = 4
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		t.Skipf("setrlimit: %v", err)
	}
	p := filepath.Join(t.TempDir(), "key")
	err := WriteSecretFile(p, bytes.Repeat([]byte("k"), 64))
	syscall.Setrlimit(syscall.RLIMIT_FSIZE, &old)
	if err == nil {
		t.Fatal("write over the file size limit succeeded")
	}
	if _, err := os.Stat(p); !os.IsNotExist(err) {
		t.Fatalf("a failed write left the key file: %v", err)
	}
}
