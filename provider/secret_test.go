package provider

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func secretFile(t *testing.T, content string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReadHexSecret(t *testing.T) {
	t.Setenv("TW_TEST_SECRET", " 00ff10\n")
	good := secretFile(t, "\t00FF10\n\n", 0o600)
	for _, src := range []string{"env:TW_TEST_SECRET", "file:" + good} {
		got, err := ReadHexSecret(src, 3)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		if !bytes.Equal(got, []byte{0, 0xff, 0x10}) {
			t.Fatalf("%s: got %x", src, got)
		}
	}
	if _, err := ReadHexSecret("env:TW_TEST_SECRET", -2); err != nil {
		t.Fatalf("at least 2 bytes: %v", err)
	}
}

func TestReadSecretErrors(t *testing.T) {
	t.Setenv("TW_TEST_EMPTY", "")
	t.Setenv("TW_TEST_BLANK", "  \n")
	t.Setenv("TW_TEST_ODD", "abc")
	t.Setenv("TW_TEST_BAD", "zz")
	t.Setenv("TW_TEST_SHORT", "0011")
	groupReadable := secretFile(t, "00", 0o640)
	worldWritable := secretFile(t, "00", 0o602)
	big := secretFile(t, strings.Repeat("0", MaxSecretSize+2), 0o600)
	for _, tc := range []struct {
		src  string
		n    int
		want string
	}{
		{"", 0, "must be env:NAME or file:PATH"},
		{"env:", 0, "must be env:NAME or file:PATH"},
		{"file:", 0, "must be env:NAME or file:PATH"},
		{"vault:x", 0, "must be env:NAME or file:PATH"},
		{"env:TW_TEST_UNSET_123", 0, "is not set"},
		{"env:TW_TEST_EMPTY", 0, "is empty"},
		{"env:TW_TEST_BLANK", 0, "is empty"},
		{"env:TW_TEST_ODD", 0, "odd number"},
		{"env:TW_TEST_BAD", 0, "not hold hex"},
		{"env:TW_TEST_SHORT", 3, "want exactly 3"},
		{"env:TW_TEST_SHORT", -3, "want at least 3"},
		{"file:/nonexistent/secret", 0, "no such file"},
		{"file:" + groupReadable, 0, "chmod 600"},
		{"file:" + worldWritable, 0, "chmod 600"},
		{"file:" + t.TempDir(), 0, "not a regular file"},
		{"file:" + big, 0, "limit"},
	} {
		_, err := ReadHexSecret(tc.src, tc.n)
		if err == nil {
			t.Errorf("ReadHexSecret(%q) succeeded", tc.src)
			continue
		}
		if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ReadHexSecret(%q): %v; want ErrInvalidConfig saying %q", tc.src, err, tc.want)
		}
	}
}
