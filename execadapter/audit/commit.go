package audit

import (
	"encoding/binary"
	"fmt"
	"runtime"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/tinywindow/tinywindow/provider"
)

// prefaulted returns an empty buffer of capacity n whose pages are mapped:
// the kernel maps them now rather than by page faults in the Appends that
// first reach them.
func prefaulted(n int) []byte {
	b := make([]byte, n)
	for i := 0; i < n; i += 4096 {
		b[i] = 0
	}
	return b[:0]
}

// Append adds a record whose payload is the concatenation of parts; its
// type may not be TypeCheckpoint or TypeRecovery, which only the writer
// writes, and a TypeKill payload must be a kill switch event. With
// Always durability it returns once the record is on stable storage; with
// Batch, once it is in memory. It does not allocate once the buffers are
// warm. An error matches ErrNotDurable or ErrClosed.
func (w *Writer) Append(typ Type, now int64, parts ...[]byte) error {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	if n > MaxPayload {
		return fmt.Errorf("audit log: payload of %d bytes is over the %d-byte limit", n, MaxPayload)
	}
	if !typ.known() || typ == TypeCheckpoint || typ == TypeRecovery {
		return fmt.Errorf("%w: audit log: a record of type %v is written by the writer itself, or unknown", provider.ErrInvalidConfig, typ)
	}
	if typ == TypeKill {
		if err := checkKillPayload(parts); err != nil {
			return err
		}
	}
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return ErrClosed
	}
	if w.err != nil {
		err := w.err
		w.mu.Unlock()
		return err
	}
	seq := w.appendLocked(typ, now, parts...)
	pending := len(w.buf)
	w.mu.Unlock()
	if w.opts.Durability == Always {
		return w.commit(seq)
	}
	switch {
	case pending >= 2*w.opts.BatchBytes:
		w.flushMu.Lock()
		return w.writeOut()
	case pending >= w.opts.BatchBytes && w.flushMu.TryLock():
		return w.writeOut()
	}
	return nil
}

// writeOut hands the pending records to the file without waiting for an
// fsync (Batch, under back-pressure), and unlocks flushMu: memory stays
// bounded, and the flusher's next fsync makes the records durable. The
// caller waited at most for the flusher's hashing and write, never for an
// fsync, which the flusher makes outside flushMu.
func (w *Writer) writeOut() error {
	defer w.flushMu.Unlock()
	err := w.flushLocked(false)
	if w.outLen > 0 {
		w.backPressure.Add(1)
		w.bpBytes.Add(uint64(w.outLen))
	}
	return err
}

// markDurable records that every record up to seq is on stable storage.
// Several goroutines fsync (the flusher, Sync, Close): the highest wins.
func (w *Writer) markDurable(seq uint64) {
	for {
		d := w.durable.Load()
		if d >= seq || w.durable.CompareAndSwap(d, seq) {
			return
		}
	}
}

// appendLocked encodes a record into the buffer, with room for its leaf
// hash, which the flush computes.
func (w *Writer) appendLocked(typ Type, now int64, parts ...[]byte) uint64 {
	w.seq++
	l := headSize
	for _, p := range parts {
		l += len(p)
	}
	w.buf = binary.BigEndian.AppendUint32(w.buf, uint32(l))
	w.buf = append(w.buf, byte(typ))
	w.buf = binary.BigEndian.AppendUint64(w.buf, w.seq)
	w.buf = binary.BigEndian.AppendUint64(w.buf, uint64(now))
	for _, p := range parts {
		w.buf = append(w.buf, p...)
	}
	w.buf = append(w.buf, zeroHash[:]...)
	return w.seq
}

var zeroHash [HashSize]byte

// commit returns once record seq is on stable storage, writing and syncing
// whatever is pending if nobody else has.
func (w *Writer) commit(seq uint64) error {
	if w.durable.Load() >= seq {
		return nil
	}
	w.flushMu.Lock()
	defer w.flushMu.Unlock()
	if w.durable.Load() >= seq {
		return nil
	}
	return w.flushLocked(true)
}

// flushLocked hashes and writes everything pending, and if sync, fsyncs it
// and everything written before; flushMu is held. After an fsync, if a
// checkpoint is due, it starts signing one outside every lock: a checkpoint
// only ever covers records on stable storage.
func (w *Writer) flushLocked(sync bool) error {
	w.outLen = 0
	w.mu.Lock()
	if w.err != nil {
		err := w.err
		w.mu.Unlock()
		return err
	}
	if len(w.buf) == 0 {
		w.mu.Unlock()
		if !sync {
			return nil
		}
		if w.written > w.durable.Load() {
			if err := w.f.Sync(); err != nil {
				w.mu.Lock()
				w.err = fmt.Errorf("%w: audit log %s: %w", ErrNotDurable, w.path, err)
				err = w.err
				w.mu.Unlock()
				return err
			}
			w.markDurable(w.written)
		}
		w.maybeCheckpoint()
		return nil
	}
	out := w.buf
	w.buf = w.spare[:0]
	upto := w.seq
	w.mu.Unlock()
	w.outLen = len(out)

	var ob [8]byte
	for p := 0; p < len(out); {
		end := p + lenSize + int(binary.BigEndian.Uint32(out[p:]))
		leafHash(w.fh, out[p:end], out[end:end+HashSize])
		w.tree.append(tlog.Hash(out[end:end+HashSize]), w.store)
		binary.BigEndian.PutUint64(ob[:], uint64(w.off)+uint64(p))
		w.ibuf = append(w.ibuf, ob[:]...)
		p = end + HashSize
	}
	_, err := w.f.Write(out)
	if err == nil && sync {
		err = w.f.Sync()
	}
	w.off += int64(len(out))
	// The hashes and index files are derived data, rebuilt by Open: they
	// are written, not synced.
	if _, herr := w.hf.Write(w.hbuf); herr == nil {
		_, herr = w.xf.Write(w.ibuf)
		if herr != nil {
			w.log.Warn("audit log: writing the index file", "path", w.path, "err", herr)
		}
	} else {
		w.log.Warn("audit log: writing the hashes file", "path", w.path, "err", herr)
	}
	w.hbuf, w.ibuf = w.hbuf[:0], w.ibuf[:0]
	w.mu.Lock()
	w.spare = out[:0]
	if err != nil {
		w.err = fmt.Errorf("%w: audit log %s: %w", ErrNotDurable, w.path, err)
		err = w.err
	}
	w.mu.Unlock()
	if err != nil {
		return err
	}
	w.written = upto
	if sync {
		w.markDurable(upto)
		w.maybeCheckpoint()
	}
	return nil
}

// Sync writes and fsyncs every record appended so far.
func (w *Writer) Sync() error {
	w.flushMu.Lock()
	defer w.flushMu.Unlock()
	return w.flushLocked(true)
}

// flusher group-commits in Batch durability until stop closes: every
// BatchInterval it hashes the pending records and writes them under
// flushMu, then fsyncs outside it, so that an Append under back-pressure
// never waits for the disk. A checkpoint, if one is due, covers the tree as
// it was when the fsync started, every leaf of which the fsync made
// durable. It runs on a thread of its own at the lowest scheduling
// priority, which ends with it.
func (w *Writer) flusher() {
	defer close(w.done)
	// At the lowest priority the hashing, write and fsync yield the CPU to
	// the goroutines that sign and send orders: on a small machine the
	// adapter's p99 falls by about two thirds (docs/performance.md, "Where
	// the CPU and the tail go"). The fsync needs no goroutine of its own,
	// whose wake-up every period would cost a thread wake-up too.
	runtime.LockOSThread() // never unlocked: the lowered thread exits with us
	lowerThreadPriority()
	t := time.NewTicker(w.opts.BatchInterval)
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-t.C:
			_ = w.groupCommit() // the error is sticky: Append reports it
		}
	}
}

// groupCommit hashes and writes the pending records, fsyncs everything
// written, and starts a checkpoint if one is due.
func (w *Writer) groupCommit() error {
	w.flushMu.Lock()
	err := w.flushLocked(false)
	upto, n := w.written, w.tree.n
	var root tlog.Hash
	due := err == nil && w.checkpointDue(n)
	if due {
		root = w.tree.root()
	}
	w.flushMu.Unlock()
	if err != nil {
		return err
	}
	if upto > w.durable.Load() {
		if err := w.f.Sync(); err != nil {
			w.mu.Lock()
			if w.err == nil {
				w.err = fmt.Errorf("%w: audit log %s: %w", ErrNotDurable, w.path, err)
			}
			err = w.err
			w.mu.Unlock()
			return err
		}
		w.markDurable(upto)
	}
	if due {
		w.startCheckpoint(n, root)
	}
	return nil
}
