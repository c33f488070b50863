package regularfile

import (
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// specialFiles makes one file of each kind in a temporary directory and
// returns their paths by kind.
func specialFiles(t *testing.T) map[string]string {
	t.Helper()
	dir := t.TempDir()
	regular := filepath.Join(dir, "regular")
	if err := os.WriteFile(regular, []byte("hello\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	linkRegular := filepath.Join(dir, "link-regular")
	linkFIFO := filepath.Join(dir, "link-fifo")
	if err := os.Symlink(regular, linkRegular); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(fifo, linkFIFO); err != nil {
		t.Fatal(err)
	}
	return map[string]string{
		"regular": regular, "fifo": fifo, "socket": sock, "dir": dir, "device": os.DevNull,
		"link-regular": linkRegular, "link-fifo": linkFIFO,
	}
}

// TestSpecialFiles: a regular file (or a link to one) is read; a named pipe,
// a directory, a socket, a device or a link to one of them is refused
// without blocking, even though no writer ever opens the pipe.
func TestSpecialFiles(t *testing.T) {
	paths := specialFiles(t)
	for _, tc := range []struct {
		kind string
		want string // "" for success
	}{
		{"regular", ""},
		{"link-regular", ""},
		{"fifo", "named pipe"},
		{"link-fifo", "named pipe"},
		{"dir", "directory"},
		{"socket", "socket"},
		{"device", "character device"},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			done := make(chan error, 1)
			go func() {
				_, err := ReadFile(paths[tc.kind], 1<<10)
				done <- err
			}()
			var err error
			select {
			case err = <-done:
			case <-time.After(30 * time.Second):
				t.Fatalf("ReadFile(%s) is still blocked", tc.kind)
			}
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("ReadFile(%s): %v", tc.kind, err)
			case tc.want != "" && (!errors.Is(err, ErrNotRegular) || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("ReadFile(%s): %v; want ErrNotRegular saying %q", tc.kind, err, tc.want)
			}
		})
	}
}

func TestReadFileLimit(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, []byte("12345"), 0o600); err != nil {
		t.Fatal(err)
	}
	if b, err := ReadFile(p, 5); err != nil || string(b) != "12345" {
		t.Fatalf("at the limit: %q %v", b, err)
	}
	if _, err := ReadFile(p, 4); err == nil || !strings.Contains(err.Error(), "4-byte limit") {
		t.Fatalf("over the limit: %v", err)
	}
	if _, err := ReadFile(filepath.Join(t.TempDir(), "none"), 5); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
}

// endless reads zeros for ever and counts what it handed out.
type endless struct{ n int64 }

func (e *endless) Read(p []byte) (int, error) {
	clear(p)
	e.n += int64(len(p))
	return len(p), nil
}

// TestReadLimited: a stream at the limit is read whole, whatever its
// expected size; one over it, or one that never ends, is refused with
// ErrTooLarge after at most limit+1 bytes were read; a size over the limit
// is refused before any read.
func TestReadLimited(t *testing.T) {
	const limit = 100
	for _, tc := range []struct {
		name    string
		data    int64 // bytes in the stream; -1 for a stream without end
		size    int64 // size given to ReadLimited
		tooBig  bool
		maxRead int64 // bytes the stream may hand out
	}{
		{"empty", 0, 0, false, 0},
		{"at the limit, size known", limit, limit, false, limit},
		{"at the limit, size unknown", limit, -1, false, limit},
		{"grew past its size, within the limit", limit, 10, false, limit},
		{"one over, size unknown", limit + 1, -1, true, limit + 1},
		{"grew past the limit", 5 * limit, 10, true, limit + 1},
		{"without end", -1, -1, true, limit + 1},
		{"size over the limit", limit + 1, limit + 1, true, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := &endless{}
			var r io.Reader = src
			if tc.data >= 0 {
				r = io.LimitReader(src, tc.data)
			}
			b, err := ReadLimited(r, tc.size, limit)
			switch {
			case tc.tooBig && !errors.Is(err, ErrTooLarge):
				t.Fatalf("got %d bytes, %v; want ErrTooLarge", len(b), err)
			case !tc.tooBig && (err != nil || int64(len(b)) != tc.data):
				t.Fatalf("got %d bytes, %v; want %d", len(b), err, tc.data)
			}
			if src.n > tc.maxRead {
				t.Fatalf("read %d bytes from the stream, more than %d", src.n, tc.maxRead)
			}
		})
	}
}
