package provider

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteSecretFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "key")
	if err := WriteSecretFile(p, []byte("secret\n")); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(p)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, %v; want 0600", st.Mode(), err)
	}
	// ReadSecret accepts what WriteSecretFile wrote.
	if got, err := ReadSecret("file:" + p); err != nil || string(got) != "secret\n" {
		t.Fatalf("ReadSecret: %q, %v", got, err)
	}
	// An existing file is never overwritten.
	if err := WriteSecretFile(p, []byte("other")); !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), "never overwrites") {
		t.Fatalf("second write: %v", err)
	}
	if got, _ := os.ReadFile(p); string(got) != "secret\n" {
		t.Fatalf("the key file changed: %q", got)
	}
	if err := WriteSecretFile(filepath.Join(dir, "missing", "key"), []byte("x")); err == nil {
		t.Fatal("write into a missing directory succeeded")
	}
}

func TestReadPublic(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "pub.pem")
	os.WriteFile(p, []byte("public"), 0o644)
	t.Setenv("TW_TEST_PUB", "public")
	for _, src := range []string{"file:" + p, "env:TW_TEST_PUB"} {
		if got, err := ReadPublic(src, 16); err != nil || string(got) != "public" {
			t.Fatalf("ReadPublic(%s): %q, %v", src, got, err)
		}
	}
	for _, tc := range []struct{ src, want string }{
		{"http://x", "env:NAME or file:PATH"},
		{"file:", "env:NAME or file:PATH"},
		{"env:TW_TEST_UNSET_PUB", "not set"},
		{"file:/nonexistent", "no such file"},
		{"file:" + dir, "not a regular file"},
		{"file:" + p + "x", "no such file"},
	} {
		if _, err := ReadPublic(tc.src, 16); !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ReadPublic(%q): %v; want ErrInvalidConfig saying %q", tc.src, err, tc.want)
		}
	}
	for _, src := range []string{"file:" + p, "env:TW_TEST_PUB"} {
		if _, err := ReadPublic(src, 3); !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), "limit") {
			t.Errorf("ReadPublic(%s) over the limit: %v", src, err)
		}
	}
}
