package trail

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// writeFileAtomic writes data to dir/name so that a reader, or a crash at
// any point, sees either the old file whole or the new one whole: it
// writes a temporary file in dir, fsyncs it, renames it over name and
// fsyncs dir (through ds, which shares one fsync among concurrent
// callers), so that the rename itself is durable when it returns.
func writeFileAtomic(ds *dirSyncer, dir, name string, data []byte) (err error) {
	f, err := os.CreateTemp(dir, ".tmp-"+name+"-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(f.Name(), filepath.Join(dir, name)); err != nil {
		return err
	}
	return ds.sync(dir)
}

// dirSyncer shares directory fsyncs among concurrent callers: a caller
// waits for an fsync that started after it asked, and one fsync serves
// every caller that asked before it started. On a busy trail it turns one
// directory fsync per accepted checkpoint into one per disk round trip.
type dirSyncer struct {
	mu   sync.Mutex
	cond *sync.Cond
	dirs map[string]*dirSyncState
}

type dirSyncState struct {
	started, completed uint64
	running            bool
	err                error // of the last completed fsync
}

func newDirSyncer() *dirSyncer {
	d := &dirSyncer{dirs: make(map[string]*dirSyncState)}
	d.cond = sync.NewCond(&d.mu)
	return d
}

// sync returns once an fsync of dir that started after the call has
// completed, with its error.
func (d *dirSyncer) sync(dir string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	st, ok := d.dirs[dir]
	if !ok {
		st = &dirSyncState{}
		d.dirs[dir] = st
	}
	want := st.started + 1
	for st.completed < want {
		if st.running {
			d.cond.Wait()
			continue
		}
		st.running = true
		st.started++
		gen := st.started
		d.mu.Unlock()
		err := syncDir(dir)
		d.mu.Lock()
		st.running, st.completed, st.err = false, gen, err
		d.cond.Broadcast()
	}
	return st.err
}

// syncDir fsyncs the directory dir, making the creations, renames and
// removals in it durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("fsync %s: %w", dir, err)
	}
	return nil
}
