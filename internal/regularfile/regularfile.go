// Package regularfile opens and reads files that must be regular files:
// secrets, configuration files, certificates. A named pipe, a directory, a
// device or a socket in their place is refused at once, without blocking:
// opening a named pipe for reading waits for a writer, and reading a device
// may never end.
//
// The file is opened with O_NONBLOCK, so that opening a named pipe or a
// device returns at once, and the decision is taken on the opened
// descriptor (fstat), so that the path cannot be swapped between the check
// and the read. Every read is bounded: [ReadLimited] reads at most one byte
// more than its limit, whatever the reader, and refuses the rest.
package regularfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// Errors from this package never repeat the path, which may hold any bytes:
// the caller names the file, quoted (%q).

// ErrNotRegular is matched by the error of a path that is not a regular
// file.
var ErrNotRegular = errors.New("not a regular file")

// ErrTooLarge is matched by the error of a file or a stream larger than
// the limit its reader was given.
var ErrTooLarge = errors.New("too large")

// Open opens path for reading if it is a regular file (a symbolic link to
// one is followed) and returns the file and its description. Anything else
// is refused, with an error matching ErrNotRegular, without waiting.
func Open(path string) (*os.File, fs.FileInfo, error) {
	// Stat first, so that a device or a named pipe is not even opened:
	// opening some devices has side effects.
	if st, err := os.Stat(path); err != nil {
		return nil, nil, withoutPath(err)
	} else if err := Check(st); err != nil {
		return nil, nil, err
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, nil, withoutPath(err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, withoutPath(err)
	}
	if err := Check(st); err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, st, nil
}

// ReadFile reads the regular file at path, refusing anything else (see
// Open) and a file larger than limit bytes, with an error matching
// ErrTooLarge.
func ReadFile(path string, limit int64) ([]byte, error) {
	f, st, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadLimited(f, st.Size(), limit)
}

// ReadLimited reads r to its end and returns what it read, or an error
// matching ErrTooLarge as soon as r holds more than limit bytes: it never
// reads more than limit+1 bytes, so a device that never ends (/dev/zero)
// costs at most limit+1 bytes of memory. size is what r is expected to
// hold (a regular file's size; -1 if unknown): a size over limit is refused
// before reading, and the buffer is allocated once, of that size (or of
// limit+1 bytes when it is unknown), so that reading a stream never holds
// two copies of it. The buffer is zeroed before an error is returned, so
// that a secret refused for its size does not linger.
func ReadLimited(r io.Reader, size, limit int64) ([]byte, error) {
	if size > limit {
		return nil, fmt.Errorf("%w: %d bytes, more than the %d-byte limit", ErrTooLarge, size, limit)
	}
	n := limit + 1
	if size >= 0 {
		// One byte more than expected, to see the end at once; a file
		// that grew meanwhile grows the buffer as append does, up to
		// limit+1.
		n = size + 1
	}
	buf := make([]byte, 0, n)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		room := min(int64(cap(buf)), limit+1) - int64(len(buf))
		m, err := r.Read(buf[len(buf) : int64(len(buf))+room])
		buf = buf[:len(buf)+m]
		if int64(len(buf)) > limit {
			clear(buf)
			return nil, fmt.Errorf("%w: more than the %d-byte limit", ErrTooLarge, limit)
		}
		if errors.Is(err, io.EOF) {
			return buf, nil
		}
		if err != nil {
			clear(buf)
			return nil, withoutPath(err)
		}
	}
}

// Check returns nil if st describes a regular file, else an error matching
// ErrNotRegular that says what the file is.
func Check(st fs.FileInfo) error {
	m := st.Mode()
	if m.IsRegular() {
		return nil
	}
	what := "a special file"
	switch {
	case m&fs.ModeNamedPipe != 0:
		what = "a named pipe (FIFO)"
	case m.IsDir():
		what = "a directory"
	case m&fs.ModeSocket != 0:
		what = "a socket"
	case m&fs.ModeCharDevice != 0:
		what = "a character device"
	case m&fs.ModeDevice != 0:
		what = "a block device"
	}
	return fmt.Errorf("%w: it is %s; give the path of a regular file", ErrNotRegular, what)
}

// withoutPath returns the cause of a *fs.PathError (an errno that
// errors.Is still matches against fs.ErrNotExist and the like), so that the
// path is not repeated unquoted.
func withoutPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Op, pe.Err)
	}
	return err
}
