package provider

import (
	"bytes"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"
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

// withinTime runs f and fails the test if it has not returned within a
// generous bound: a blocking open never returns at all.
func withinTime(t *testing.T, what string, f func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-time.After(30 * time.Second):
		t.Fatalf("%s is still blocked", what)
		return nil
	}
}

// TestSpecialFileSources: a named pipe (with no writer), a device or a
// socket as a secret source or a config file is refused at once; opening
// a named pipe for reading would otherwise wait for a writer forever.
func TestSpecialFileSources(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for _, tc := range []struct{ path, want string }{
		{fifo, "named pipe"},
		{os.DevNull, "character device"},
		{sock, "socket"},
		{dir, "directory"},
	} {
		err := withinTime(t, "ReadSecret(file:"+tc.path+")", func() error {
			_, err := ReadSecret("file:" + tc.path)
			return err
		})
		if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ReadSecret(file:%s): %v; want ErrInvalidConfig saying %q", tc.path, err, tc.want)
		}
	}
}

// TestSecretErrorsQuoteSource: control characters in a source's name are
// escaped in the error, never written raw.
func TestSecretErrorsQuoteSource(t *testing.T) {
	for _, src := range []string{"env:TW_X\n\x1b[31mFAKE LOG LINE", "file:/nonexistent/a\nb\x1b[0m", "file:/nonexistent/\xff\xfe"} {
		_, err := ReadSecret(src)
		if err == nil {
			t.Fatalf("ReadSecret(%q) succeeded", src)
		}
		if msg := err.Error(); strings.ContainsAny(msg, "\n\x1b") || !utf8.ValidString(msg) {
			t.Errorf("ReadSecret(%q): the error holds raw control bytes: %q", src, msg)
		}
	}
}
