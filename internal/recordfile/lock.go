package recordfile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// Lock is an exclusive lock on a record file or directory, held on a
// separate lock file from [Acquire] to [Lock.Release]. The lock file holds
// the holder's process ID.
type Lock struct {
	f *os.File
}

// LockedError reports a lock that another writer holds: a second writer is
// refused at once rather than made to wait.
type LockedError struct {
	Path   string // the lock file
	Holder int    // the holder's process ID (0 if unknown)
	Err    error
}

func (e *LockedError) Error() string {
	holder := "another process"
	if e.Holder > 0 {
		holder = "process " + strconv.Itoa(e.Holder)
		if e.Holder == os.Getpid() {
			holder += " (this one)"
		}
	}
	return fmt.Sprintf("%s is held by %s: only one writer at a time", e.Path, holder)
}

func (e *LockedError) Unwrap() error { return e.Err }

// Acquire takes the exclusive lock at path, creating the lock file (mode
// 0600) if needed, and writes the caller's process ID into it. A lock file
// that is not a regular file is refused at once, and one that group or
// others can write with a [ModeError]. If another
// writer holds it, in this process or another, it fails at once with a
// *[LockedError] naming the holder. Outside Unix it takes no lock.
func Acquire(path string) (*Lock, error) {
	// The lock file holds no records: a crash that loses it loses nothing,
	// so its directory is not synced after creating it.
	f, err := openChecked(path, os.O_RDWR|os.O_CREATE)
	if err != nil {
		return nil, err
	}
	if err := flock(f); errors.Is(err, errLocked) {
		b := make([]byte, 32)
		n, _ := f.ReadAt(b, 0)
		f.Close()
		pid, _ := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(string(b[:n]), "pid ")))
		return nil, &LockedError{Path: path, Holder: pid, Err: err}
	} else if err != nil {
		f.Close()
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	// A fixed width, so that the process ID overwrites the last holder's
	// without a truncation.
	fmt.Fprintf(io.NewOffsetWriter(f, 0), "pid %-20d\n", os.Getpid())
	return &Lock{f: f}, nil
}

// Release releases the lock. The lock file stays, with the last holder's
// process ID in it.
func (l *Lock) Release() error {
	return l.f.Close()
}
