package pqc_test

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
)

// writeSecretFile writes hex(b) and a newline to a new file of mode 0600 in a
// temporary directory and returns its path.
func writeSecretFile(t testing.TB, name string, b []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(hex.EncodeToString(b)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// testSeed returns a fixed seed of n bytes that differs with salt.
func testSeed(n int, salt byte) []byte {
	s := make([]byte, n)
	for i := range s {
		s[i] = byte(i*7) ^ salt
	}
	return s
}

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("bad hex in test data: %v", err)
	}
	return b
}
