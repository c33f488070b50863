package audit

import (
	"fmt"
	"os"

	"github.com/tinywindow/tinywindow/internal/recordfile"
)

// openSidecars creates the hashes file (the tlog stored hashes of the
// tree, 32 bytes each, at tlog.StoredHashIndex) and the index file (each
// record's offset, 8 bytes big-endian), both derived from the log and
// rebuilt at every Open. Being derived, they are neither fsynced nor is
// their directory after they are created, renamed or removed: a crash can
// lose them, and the next Open rebuilds them.
func (w *Writer) openSidecars() error {
	var err error
	if w.hf, err = recordfile.OpenExisting(w.path+".hashes.tmp", os.O_RDWR|os.O_CREATE|os.O_TRUNC); err != nil {
		return fmt.Errorf("audit log %s: hashes file: %w", w.path, err)
	}
	if w.xf, err = recordfile.OpenExisting(w.path+".idx.tmp", os.O_RDWR|os.O_CREATE|os.O_TRUNC); err != nil {
		return fmt.Errorf("audit log %s: index file: %w", w.path, err)
	}
	return nil
}

// installSidecars puts the rebuilt hashes and index files in place of the
// old ones, once the log has been read through.
func (w *Writer) installSidecars() error {
	for _, ext := range []string{".hashes", ".idx"} {
		if err := os.Rename(w.path+ext+".tmp", w.path+ext); err != nil {
			return fmt.Errorf("audit log %s: %w", w.path, err)
		}
	}
	return nil
}

func (w *Writer) closeSidecars() {
	if w.hf != nil {
		w.hf.Close()
	}
	if w.xf != nil {
		w.xf.Close()
	}
}

// dropSidecars closes and removes sidecars that were never installed.
func (w *Writer) dropSidecars() {
	w.closeSidecars()
	os.Remove(w.path + ".hashes.tmp")
	os.Remove(w.path + ".idx.tmp")
}
