package audit

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/tinywindow/tinywindow/internal/recordfile"
	"github.com/tinywindow/tinywindow/internal/regularfile"
)

// ExportTarget is where [Export] writes: files named by slash-separated
// relative paths ("checkpoint", "tile/0/x001/234"), as C2SP tlog-tiles
// names them. [DirTarget] is a local directory; an object store (S3) is
// another. Export calls Get and Put from several goroutines at once, never
// twice at once for one path, and never Get for a path it put.
type ExportTarget interface {
	// Get returns the bytes of the file at path, or an error matching
	// fs.ErrNotExist if there is none.
	Get(ctx context.Context, path string) ([]byte, error)
	// Put writes data to the file at path, replacing any file there
	// atomically: a reader sees the old bytes or the new, never a mix or
	// a part. The new file may appear at once or not before Sync.
	Put(ctx context.Context, path string, data []byte) error
	// Sync returns once every file Put before it is in place and
	// durable.
	Sync(ctx context.Context) error
}

// MaxExportFile is the largest file of an export, a full entry bundle of
// entries of MaxExportEntry bytes; [DirTarget.Get] refuses a larger one.
const MaxExportFile = tileWidth * (2 + MaxExportEntry)

// DirTarget is an [ExportTarget] on a local directory, which an HTTP file
// server can serve as it is. Put writes each file to a temporary file
// beside it (".NAME.tmp") and fsyncs it; Sync renames them into place and
// fsyncs each directory once, so that a crash leaves every file whole, old
// or new. Files are mode 0644, directories 0755 (less the umask). Only
// one DirTarget at a time writes a directory: it holds the lock file
// DIR/.export.lock from [OpenDirTarget] to [DirTarget.Close].
type DirTarget struct {
	dir    string
	lock   *recordfile.Lock
	mu     sync.Mutex
	staged []string // the local paths of files Put and not yet in place
}

var _ ExportTarget = (*DirTarget)(nil)

// OpenDirTarget opens the directory dir as an export target, creating it
// if needed, and locks it. It refuses a dir that another DirTarget holds,
// naming the holder's process.
func OpenDirTarget(dir string) (*DirTarget, error) {
	if err := mkdirSynced(dir); err != nil {
		return nil, fmt.Errorf("export directory %q: %w", dir, err)
	}
	l, err := recordfile.Acquire(filepath.Join(dir, ".export.lock"))
	if err != nil {
		return nil, fmt.Errorf("export directory %q: %w", dir, err)
	}
	return &DirTarget{dir: dir, lock: l}, nil
}

// Close releases the directory's lock.
func (d *DirTarget) Close() error { return d.lock.Release() }

// file returns the local path of the file at path, which must be a valid
// slash-separated relative path (fs.ValidPath) other than ".".
func (d *DirTarget) file(path string) (string, error) {
	if !fs.ValidPath(path) || path == "." {
		return "", fmt.Errorf("export file %q: not a relative path without . or .. elements", path)
	}
	return filepath.Join(d.dir, filepath.FromSlash(path)), nil
}

// Get reads the file at path, which must be a regular file of at most
// MaxExportFile bytes: a named pipe, a device or a directory in its place
// is refused at once, without waiting on it.
func (d *DirTarget) Get(_ context.Context, path string) ([]byte, error) {
	name, err := d.file(path)
	if err != nil {
		return nil, err
	}
	b, err := regularfile.ReadFile(name, MaxExportFile)
	if err != nil {
		return nil, fmt.Errorf("export file %s: %w", name, err)
	}
	return b, nil
}

// Put writes data to a temporary file beside the file at path and fsyncs
// it, creating the directories it needs; Sync puts it in place.
func (d *DirTarget) Put(ctx context.Context, path string, data []byte) error {
	name, err := d.file(path)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	dir := filepath.Dir(name)
	if err := mkdirSynced(dir); err != nil {
		return fmt.Errorf("export file %s: %w", name, err)
	}
	tmp := tempName(name)
	// A temporary file left by an interrupted run is removed, not
	// opened: whatever is there (even a named pipe) is never written
	// through.
	if err := os.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("export file %s: %w", name, err)
	}
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("export file %s: %w", name, err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("export file %s: %w", name, err)
	}
	d.mu.Lock()
	d.staged = append(d.staged, name)
	d.mu.Unlock()
	return nil
}

// Sync renames every file Put since the last Sync into place, then fsyncs
// each directory that received one.
func (d *DirTarget) Sync(ctx context.Context) error {
	d.mu.Lock()
	staged := d.staged
	d.staged = nil
	d.mu.Unlock()
	dirs := map[string]bool{}
	for _, name := range staged {
		if err := os.Rename(tempName(name), name); err != nil {
			return fmt.Errorf("export file %s: %w", name, err)
		}
		dirs[filepath.Dir(name)] = true
	}
	for dir := range dirs {
		if err := recordfile.SyncDir(dir); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// tempName is the temporary file of the file at name.
func tempName(name string) string {
	return filepath.Join(filepath.Dir(name), "."+filepath.Base(name)+".tmp")
}

// mkdirSynced makes the directory dir, mode 0755, and any parent missing,
// syncing the parent of each directory it makes so that it outlives a
// crash.
func mkdirSynced(dir string) error {
	st, err := os.Stat(dir)
	if err == nil {
		if !st.IsDir() {
			return fmt.Errorf("%s is not a directory", dir)
		}
		return nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	parent := filepath.Dir(dir)
	if parent != dir {
		if err := mkdirSynced(parent); err != nil {
			return err
		}
	}
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return recordfile.SyncDir(parent)
}
