package audit

import (
	"context"
	"fmt"
	"time"
)

// Checkpoint returns once a signed checkpoint that covers every record
// appended before the call is in the log, on stable storage, in the
// checkpoints file and offered to the witnesses and trails: it makes one due at once
// rather than at the next CheckpointInterval. It fails when ctx ends first
// (with the number of checkpoint signatures that failed meanwhile), when
// the writer is closed (ErrClosed), or when a write or fsync fails
// (ErrNotDurable).
func (w *Writer) Checkpoint(ctx context.Context) error {
	target := int64(w.Seq()) // record N is leaf N-1: a tree of N leaves covers it
	failures := w.cpFailures.Load()
	wait := 20 * time.Microsecond
	for {
		w.mu.Lock()
		closed := w.closed
		w.mu.Unlock()
		if closed {
			return ErrClosed
		}
		w.cpMu.Lock()
		// Once the signer is idle, a checkpoint that covers target is also
		// in the checkpoints file and with the witnesses and trails.
		covered := w.lastCP >= target && !w.cpBusy
		if w.lastCP < target && !w.cpBusy {
			w.cpTime = time.Time{} // due at the next flush, which Sync makes
		}
		w.cpMu.Unlock()
		// Sync writes and fsyncs the records, and the checkpoint record
		// once it is appended; and starts the signing of a due checkpoint.
		if err := w.Sync(); err != nil {
			return err
		}
		if covered {
			return nil
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("audit log %s: waiting for a checkpoint of record %d (%d signatures failed meanwhile): %w",
				w.path, target, w.cpFailures.Load()-failures, ctx.Err())
		case <-t.C:
		}
		wait = min(2*wait, time.Millisecond)
	}
}
