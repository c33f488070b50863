package audit

import (
	"context"
	"fmt"
	"time"

	"golang.org/x/mod/sumdb/tlog"
)

// maybeCheckpoint starts signing a checkpoint of the tree as flushed, if
// one is due and none is being signed; flushMu is held and everything
// flushed is on stable storage.
func (w *Writer) maybeCheckpoint() {
	if w.checkpointDue(w.tree.n) {
		w.startCheckpoint(w.tree.n, w.tree.root())
	}
}

// checkpointDue reports whether a checkpoint of a tree of n leaves is due
// and none is being signed.
func (w *Writer) checkpointDue(n int64) bool {
	w.cpMu.Lock()
	defer w.cpMu.Unlock()
	return w.dueLocked(n)
}

func (w *Writer) dueLocked(n int64) bool {
	return w.started && !w.cpBusy && n > w.lastCP &&
		(n-w.lastCP >= int64(w.opts.CheckpointEvery) || time.Since(w.cpTime) >= w.opts.CheckpointInterval)
}

// startCheckpoint hands the signer a checkpoint of the tree of n leaves
// with root hash root, whose leaves are all on stable storage, if one is
// still due.
func (w *Writer) startCheckpoint(n int64, root tlog.Hash) {
	w.cpMu.Lock()
	defer w.cpMu.Unlock()
	if !w.dueLocked(n) {
		return
	}
	w.mu.Lock()
	closed := w.closed
	w.mu.Unlock()
	if closed {
		return
	}
	w.cpBusy = true
	c := w.newCheckpoint(n, root)
	w.cpWG.Add(1)
	w.cpReq <- c // never blocks: at most one is outstanding
}

// newCheckpoint returns the checkpoint of the tree of n leaves with root
// hash root, stamped with the time; signAndAppend adds the clock's state.
func (w *Writer) newCheckpoint(n int64, root tlog.Hash) Checkpoint {
	return Checkpoint{Origin: w.key.name, Tree: tlog.Tree{N: n, Hash: root}, Time: checkpointTime()}
}

// readClock returns the clock's state for a checkpoint's clock line
// (Options.Clock). A state no clock line can carry is logged and given as
// ClockUnknown.
func (w *Writer) readClock() Clock {
	c := w.opts.Clock()
	if err := c.check(); err != nil {
		w.log.Error("audit log: the clock reader gave a state no clock line can carry; the checkpoint says clock unknown", "path", w.path, "err", err)
		return Clock{State: ClockUnknown}
	}
	return c
}

// signer signs the checkpoints maybeCheckpoint asks for, one at a time,
// off the path of Append.
func (w *Writer) signer() {
	for c := range w.cpReq {
		seq, err := w.signAndAppend(c)
		w.cpMu.Lock()
		w.cpBusy = false
		w.cpTime = time.Now()
		w.cpMu.Unlock()
		if err == nil && w.opts.Durability == Always {
			_ = w.commit(seq) // an error is sticky: the next Append reports it
		}
		w.cpWG.Done()
	}
}

// signAndAppend reads the clock's state into c, signs c with a deadline,
// appends its record, writes it to the checkpoints file and hands it to the
// witnesses. The clock is read here, off the path of Append, just after
// the time newCheckpoint read: nothing but the hand-over to the signer
// runs between them.
func (w *Writer) signAndAppend(c Checkpoint) (uint64, error) {
	c.Clock = w.readClock()
	ctx, cancel := context.WithTimeout(context.Background(), w.opts.CheckpointTimeout)
	w.cpMu.Lock()
	prev := w.lastCP
	w.cpMu.Unlock()
	prove := func(n int64) ([]tlog.Hash, error) { return tlog.ProveTree(c.N, n, w.hashReader()) }
	msg, sig, err := appendSignedCheckpoint(ctx, w.noteBuf[:0], w.sigBuf, c, w.key, prev, prove)
	if err == nil && ctx.Err() != nil {
		err = ctx.Err() // a signer that ignored its deadline
	}
	cancel()
	w.noteBuf, w.sigBuf = msg, sig
	if err != nil {
		w.cpFailures.Add(1)
		w.log.Error("audit log: signing a checkpoint failed; the next flush tries again", "path", w.path, "size", c.N, "err", err)
		return 0, fmt.Errorf("%w: audit checkpoint: signing: %w", ErrNotDurable, err)
	}
	w.mu.Lock()
	if w.err != nil {
		err := w.err
		w.mu.Unlock()
		return 0, err
	}
	seq := w.appendLocked(TypeCheckpoint, c.Time, msg)
	w.mu.Unlock()
	w.cpMu.Lock()
	if c.N > w.lastCP {
		w.lastCP = c.N
	}
	w.cpMu.Unlock()
	w.checkpoints.Add(1)
	w.appendCheckpointsFile(msg)
	w.forward(c, msg)
	return seq, nil
}

// forward hands the checkpoint c, whose signed note is msg, to the
// witnesses and trails, and keeps it for a trail added later (AddTrails).
func (w *Writer) forward(c Checkpoint, msg []byte) {
	w.fwdMu.Lock()
	defer w.fwdMu.Unlock()
	if c.N < w.lastCkpt.N {
		return
	}
	w.lastCkpt, w.lastNote = c, append(w.lastNote[:0], msg...)
	if len(w.witnesses)+len(w.trails) == 0 || w.fwdClosed {
		return
	}
	own := w.ownLastNote()
	for _, f := range w.witnesses {
		f.offer(c, own)
	}
	for _, f := range w.trails {
		f.offer(c, own)
	}
}

// checkpointNow flushes, signs a checkpoint of everything and flushes it:
// Open and Close end with one. No Append runs meanwhile.
func (w *Writer) checkpointNow() error {
	w.flushMu.Lock()
	defer w.flushMu.Unlock()
	if err := w.flushLocked(true); err != nil {
		return err
	}
	w.cpMu.Lock()
	c := w.newCheckpoint(w.tree.n, w.tree.root())
	w.cpMu.Unlock()
	if _, err := w.signAndAppend(c); err != nil {
		w.mu.Lock()
		w.err = err
		w.mu.Unlock()
		return err
	}
	return w.flushLocked(true)
}
