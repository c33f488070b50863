package audit

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/tinywindow/tinywindow/internal/recordfile"
)

// latestCheckpoint returns the checkpoint of largest size in a checkpoints
// file (its signatures are checked by Verify, not here).
func latestCheckpoint(path string) (Checkpoint, error) {
	// The log's own checkpoints file: a regular file (never a pipe that a
	// read would wait on), read whole whatever its size, since a log that
	// runs for months keeps adding to it.
	f, err := recordfile.OpenExisting(path, os.O_RDONLY)
	if errors.Is(err, os.ErrNotExist) {
		return Checkpoint{}, nil
	}
	var b []byte
	if err == nil {
		b, err = io.ReadAll(f)
		f.Close()
	}
	if err != nil {
		return Checkpoint{}, fmt.Errorf("audit log: checkpoints file: %w", err)
	}
	// A last note cut short by a crash while it was appended is skipped:
	// the same checkpoint is in the log.
	notes, _ := splitNotes(b)
	var best Checkpoint
	for i, n := range notes {
		text, _, _ := cutNote(n)
		c, err := ParseCheckpoint(text)
		if err != nil && i == len(notes)-1 {
			break
		}
		if err != nil {
			return Checkpoint{}, fmt.Errorf("audit log: checkpoints file %s: note %d: %w", path, i+1, err)
		}
		if best.Origin != "" && c.Origin != best.Origin {
			return Checkpoint{}, fmt.Errorf("%w: checkpoints file %s holds checkpoints of two logs, %q and %q", ErrCorrupt, path, best.Origin, c.Origin)
		}
		if c.N >= best.N {
			best = c
		}
	}
	return best, nil
}

// trimCheckpointsFile cuts a last note that a crash left incomplete off
// the checkpoints file, so that the next note starts on a clean line; the
// same checkpoint is in the log.
func (w *Writer) trimCheckpointsFile() error {
	b, err := io.ReadAll(io.NewSectionReader(w.ck, 0, 1<<40))
	if err != nil {
		return fmt.Errorf("audit log: checkpoints file: %w", err)
	}
	if n := completeNotes(b); n < len(b) {
		w.log.Warn("audit log: cutting an incomplete last note off the checkpoints file", "path", w.opts.CheckpointsPath, "bytes", len(b)-n)
		if err := w.ck.Truncate(int64(n)); err != nil {
			return fmt.Errorf("audit log: checkpoints file: %w", err)
		}
	}
	return nil
}

// appendCheckpointsFile appends a signed note and a blank line to the
// checkpoints file and syncs it.
func (w *Writer) appendCheckpointsFile(msg []byte) {
	w.ckMu.Lock()
	defer w.ckMu.Unlock()
	w.ckBuf = append(append(w.ckBuf[:0], msg...), '\n')
	_, err := w.ck.Write(w.ckBuf)
	if err == nil {
		err = w.ck.Sync()
	}
	if err != nil {
		w.log.Error("audit log: writing the checkpoints file", "path", w.opts.CheckpointsPath, "err", err)
	}
}
