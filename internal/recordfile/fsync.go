package recordfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"syscall"

	"github.com/tinywindow/tinywindow/internal/regularfile"
)

// SyncDir fsyncs the directory dir, so that a file created, renamed or
// removed in it stays so after a crash. [OpenFile], [Rename] and [Remove]
// call it after every create, rename and remove.
func SyncDir(dir string) error {
	if h := syncDirHook.Load(); h != nil {
		(*h)(dir)
	}
	if runtime.GOOS == "windows" {
		return nil // Windows offers no fsync of a directory
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("syncing directory %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("syncing directory %s: %w", dir, err)
	}
	return nil
}

var syncDirHook atomic.Pointer[func(dir string)]

// SetSyncDirHook has every later [SyncDir] call hook with its directory
// before it syncs it, until the returned function is called. Tests use it
// to see which directories are synced and when.
func SetSyncDirHook(hook func(dir string)) (restore func()) {
	old := syncDirHook.Swap(&hook)
	return func() { syncDirHook.Store(old) }
}

// OpenFile opens the record file at path with flag (os.O_RDWR, os.O_WRONLY,
// plus os.O_APPEND or os.O_TRUNC), creating it with mode 0600 if it does
// not exist and then syncing its directory. An existing file that is not a
// regular file (a named pipe, a device, a directory) is refused at once
// without waiting on it, and one that group or others can write is refused
// with a [ModeError]. With os.O_EXCL in flag, an existing file is an error.
func OpenFile(path string, flag int) (*os.File, error) {
	f, err := os.OpenFile(path, flag|os.O_CREATE|os.O_EXCL, 0o600)
	if err == nil {
		if err := SyncDir(filepath.Dir(path)); err != nil {
			f.Close()
			return nil, err
		}
		return f, nil
	}
	if flag&os.O_EXCL != 0 || !errors.Is(err, fs.ErrExist) {
		return nil, err
	}
	return openChecked(path, flag)
}

// openChecked opens the existing file at path with flag through
// [OpenExisting] and refuses it with a [ModeError] if group or others can
// write it.
func openChecked(path string, flag int) (*os.File, error) {
	f, err := OpenExisting(path, flag)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err == nil {
		err = CheckMode(path, st)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// OpenExisting opens path with flag, without blocking (a named pipe with no
// peer, a device that would wait) and refuses anything but a regular file:
// a file derived from a record file, or one about to be replaced, is read
// and written like one and must never be a pipe that a read or a write
// waits on forever.
func OpenExisting(path string, flag int) (*os.File, error) {
	f, err := os.OpenFile(path, flag|syscall.O_NONBLOCK, 0o600)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err == nil {
		err = regularfile.Check(st)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// Rename renames oldpath to newpath and syncs the directory of newpath
// (and of oldpath, when another).
func Rename(oldpath, newpath string) error {
	if err := os.Rename(oldpath, newpath); err != nil {
		return err
	}
	if err := SyncDir(filepath.Dir(newpath)); err != nil {
		return err
	}
	if filepath.Dir(oldpath) != filepath.Dir(newpath) {
		return SyncDir(filepath.Dir(oldpath))
	}
	return nil
}

// Remove removes the file at path and syncs its directory. A file that
// does not exist is no error.
func Remove(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return SyncDir(filepath.Dir(path))
}

// MkdirAll makes the directory dir, mode 0700, and any parent missing,
// syncing the parent of each directory it creates; an existing dir that
// group or others can write is refused with a [ModeError].
func MkdirAll(dir string) error {
	st, err := os.Stat(dir)
	if err == nil {
		if !st.IsDir() {
			return fmt.Errorf("%s is not a directory", dir)
		}
		return CheckMode(dir, st)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	parent := filepath.Dir(dir)
	if parent != dir {
		if err := MkdirAll(parent); err != nil && !errors.As(err, new(*ModeError)) {
			return err
		}
	}
	if err := os.Mkdir(dir, 0o700); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return MkdirAll(dir)
		}
		return err
	}
	return SyncDir(parent)
}
