package audit

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sync"

	"github.com/tinywindow/tinywindow/internal/regularfile"
)

// ExportOptions configure [Export].
type ExportOptions struct {
	// Parallel is the number of files read and written at once (default
	// 16): a local directory's fsyncs and an object store's requests
	// overlap.
	Parallel int
}

// ExportReport says what [Export] did.
type ExportReport struct {
	Origin string `json:"origin"` // the log's origin
	// Size is the number of entries exported: the tree size of the log's
	// latest checkpoint, now the export's checkpoint.
	Size int64 `json:"size"`
	// Previous is the tree size of the export's checkpoint before the run
	// (0 for none).
	Previous int64 `json:"previous"`
	// Written counts the files written: new ones, and those an
	// interrupted run left different; Restored, of them, the files that
	// Previous's export holds but that were missing.
	Written  int   `json:"written"`
	Restored int   `json:"restored"`
	Kept     int   `json:"kept"`  // files already there, byte for byte what the log gives
	Bytes    int64 `json:"bytes"` // bytes written
}

// ExportConflictError reports an export target that holds something other
// than an export of a prefix of the log: a checkpoint that is not one of
// the log's (another log, a fork of it, a changed file), one larger than
// the log's latest, or a file of the previous export that was changed in
// storage. [Export] then leaves the target's checkpoint as it was.
type ExportConflictError struct {
	Path   string // the file of the target, "checkpoint" or a tile's path
	Reason string
}

func (e *ExportConflictError) Error() string {
	return fmt.Sprintf("audit export: %s: %s", e.Path, e.Reason)
}

// Export writes the log at path to the target as a C2SP tlog-tiles log
// (https://c2sp.org/tlog-tiles): its entries in entry bundles, the tiles of
// its Merkle tree, and its latest checkpoint, byte for byte the signed note
// of the log's last checkpoint record, as the file "checkpoint".
//
// The entries are the log's records 1 to N, N being that checkpoint's tree
// size, each from its length field to its payload (without the leaf hash
// that follows it in the file): the RFC 6962 leaf hash of an entry is the
// record's leaf hash, so the tiles' tree is the log's and the checkpoint
// verifies against them. The records after N, the latest checkpoint record
// among them, belong to a later export.
//
// The bytes of every file are those of the log alone: exporting one log
// twice, or two copies of it, gives the same files. A target exported
// before keeps what it holds and gets only what is new: the full tiles and
// bundles past its checkpoint, and the partial ones of size N (those of
// its earlier checkpoints stay, as C2SP allows, for clients holding those).
// Every file is written before the checkpoint, so an interrupted run leaves
// the previous export whole, and the next run finishes it.
//
// Each run checks what the target holds against the log: a file that the
// target's checkpoint covers and that differs from the log's bytes was
// changed in storage, and the run stops with an *[ExportConflictError]
// rather than build on it; one that is missing is written again (counted
// in Restored). A checkpoint that is not one of the log's checkpoints, or
// that is larger than the latest, is an *[ExportConflictError] too: the log
// is not an extension of what was exported. A record that fails its leaf
// hash or sequence number, or a tree that does not match the checkpoint, is
// a *[BadRecordError] matching [ErrCorrupt]; Export does not check the
// checkpoint's signature (see [Verify]), which a client of the export
// checks. A record longer than [MaxExportEntry] cannot be exported.
//
// The log may be open by a writer: Export reads the records up to its
// latest complete checkpoint record.
func Export(ctx context.Context, path string, to ExportTarget, opts ExportOptions) (*ExportReport, error) {
	if opts.Parallel <= 0 {
		opts.Parallel = 16
	}
	x := &exporter{to: to, rep: &ExportReport{}}
	prev, err := to.Get(ctx, "checkpoint")
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("audit export: reading the export's checkpoint: %w", err)
	}
	var prevC Checkpoint
	if prev != nil {
		text, _, ok := cutNote(prev)
		if !ok {
			return nil, &ExportConflictError{Path: "checkpoint", Reason: "not a signed note (no blank line before signatures): the file was changed"}
		}
		if prevC, err = ParseCheckpoint(text); err != nil {
			return nil, &ExportConflictError{Path: "checkpoint", Reason: fmt.Sprintf("not a checkpoint (%v): the file was changed", err)}
		}
	}
	last, atPrev, err := logCheckpoints(path, prevC.N)
	if err != nil {
		return nil, err
	}
	x.rep.Origin, x.rep.Size, x.rep.Previous = last.c.Origin, last.c.N, prevC.N
	if prev != nil {
		switch {
		case prevC.Origin != last.c.Origin:
			return nil, &ExportConflictError{Path: "checkpoint", Reason: fmt.Sprintf("the export is of log %q, not of this log %q", prevC.Origin, last.c.Origin)}
		case prevC.N > last.c.N:
			return nil, &ExportConflictError{Path: "checkpoint", Reason: fmt.Sprintf("the export holds %d entries, more than the %d of the log's latest checkpoint: the log is not an extension of the exported one", prevC.N, last.c.N)}
		case atPrev.msg == nil || !bytes.Equal(atPrev.msg, prev):
			return nil, &ExportConflictError{Path: "checkpoint", Reason: fmt.Sprintf("the export's checkpoint of tree size %d is not the log's checkpoint of that size: the log is not an extension of the exported one (a fork, another log of the same origin), or the file was changed", prevC.N)}
		}
	}
	if err := x.run(ctx, path, last, opts.Parallel); err != nil {
		return nil, err
	}
	// Every tile and bundle is in place before the checkpoint that
	// covers them.
	if err := to.Sync(ctx); err != nil {
		return nil, fmt.Errorf("audit export: %w", err)
	}
	if !bytes.Equal(prev, last.msg) {
		if err := to.Put(ctx, "checkpoint", last.msg); err != nil {
			return nil, fmt.Errorf("audit export: writing the checkpoint: %w", err)
		}
		if err := to.Sync(ctx); err != nil {
			return nil, fmt.Errorf("audit export: writing the checkpoint: %w", err)
		}
		x.rep.Written++
		x.rep.Bytes += int64(len(last.msg))
	}
	return x.rep, nil
}

// logCheckpoint is a checkpoint record of a log: its signed note and
// checkpoint.
type logCheckpoint struct {
	seq uint64
	msg []byte
	c   Checkpoint
}

// logCheckpoints walks the log at path through to its end (or its torn
// tail, the record a writer is appending) and returns its latest
// checkpoint and its checkpoint of tree size n, if it has one. It checks
// the length and sequence number of every record but the leaf hashes of
// the checkpoint records only: the records Export exports are checked as
// it reads them again, and those after them are not exported.
func logCheckpoints(path string, n int64) (last, atN logCheckpoint, err error) {
	file, _, err := regularfile.Open(path)
	if err != nil {
		return last, atN, fmt.Errorf("audit log %q: %w", path, err)
	}
	defer file.Close()
	r := bufio.NewReaderSize(file, 1<<20)
	head := make([]byte, len(Magic))
	if _, err := io.ReadFull(r, head); err != nil || string(head) != Magic {
		if errors.Is(err, io.EOF) {
			return last, atN, &BadRecordError{Record: 0, Offset: 0, Reason: "the file is empty; an audit log starts with its header"}
		}
		if err == nil || errors.Is(err, io.ErrUnexpectedEOF) {
			return last, atN, &BadRecordError{Record: 0, Offset: 0, Reason: fmt.Sprintf("the file does not start with the audit log header %q", Magic)}
		}
		return last, atN, fmt.Errorf("audit log %q: %w", path, err)
	}
	h := sha256.New()
	off := int64(len(Magic))
	var rec []byte
	for seq := uint64(1); ; seq++ {
		b, err := r.Peek(lenSize + headSize)
		if len(b) < lenSize+headSize {
			if err == io.EOF {
				break // the end, or a torn tail
			}
			return last, atN, fmt.Errorf("audit log %q: %w", path, err)
		}
		size, err := recordSize(binary.BigEndian.Uint32(b))
		if err != nil {
			return last, atN, &BadRecordError{Record: seq, Offset: off, Reason: err.Error()}
		}
		if got := binary.BigEndian.Uint64(b[lenSize+1:]); got != seq {
			return last, atN, badSeq(got, seq, off)
		}
		if Type(b[lenSize]) != TypeCheckpoint {
			if k, err := r.Discard(size); k < size {
				if err == io.EOF {
					break
				}
				return last, atN, fmt.Errorf("audit log %q: %w", path, err)
			}
			off += int64(size)
			continue
		}
		rec = append(rec[:0], make([]byte, size)...)
		if _, err := io.ReadFull(r, rec); err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) {
				break
			}
			return last, atN, fmt.Errorf("audit log %q: %w", path, err)
		}
		got, err := decodeRecord(h, rec, seq, off)
		if err != nil {
			return last, atN, err
		}
		text, _, ok := cutNote(got.Payload)
		c, err := ParseCheckpoint(text)
		if !ok || err != nil {
			return last, atN, &BadRecordError{Record: seq, Offset: off, Reason: "checkpoint: not a signed checkpoint", Err: err}
		}
		last = logCheckpoint{seq: seq, msg: bytes.Clone(got.Payload), c: c}
		if c.N == n {
			atN = last
		}
		off += int64(size)
	}
	if last.msg == nil {
		return last, atN, fmt.Errorf("audit export: audit log %q holds no checkpoint yet: nothing to export", path)
	}
	return last, atN, nil
}

// scanLog calls f with each record of the log at path, in order, until f
// returns false, the log ends or its torn tail begins (a record cut short
// by the end of the file, which a writer may be appending).
func scanLog(path string, f func(*scanner, Record) (bool, error)) error {
	file, _, err := regularfile.Open(path)
	if err != nil {
		return fmt.Errorf("audit log %q: %w", path, err)
	}
	defer file.Close()
	s, err := newScanner(file)
	if errors.Is(err, io.EOF) {
		return &BadRecordError{Record: 0, Offset: 0, Reason: "the file is empty; an audit log starts with its header"}
	}
	if err != nil {
		return err
	}
	for {
		rec, err := s.next()
		if errors.Is(err, io.EOF) || errors.Is(err, errTorn) {
			return nil
		}
		if err != nil {
			return err
		}
		if more, err := f(s, rec); err != nil || !more {
			return err
		}
	}
}

// exporter is one run of Export.
type exporter struct {
	to  ExportTarget
	rep *ExportReport
	mu  sync.Mutex // guards rep's counts
}

// run makes every file of the export of last's tree, and of the previous
// checkpoint's partial tiles, and settles each on the target with
// parallel workers.
func (x *exporter) run(ctx context.Context, path string, last logCheckpoint, parallel int) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	files := make(chan tileFile, 2*parallel)
	var wg sync.WaitGroup
	for range parallel {
		wg.Go(func() {
			for f := range files {
				if ctx.Err() != nil {
					continue // drain
				}
				if err := x.settle(ctx, f); err != nil {
					cancel(err) // the first cause is kept
				}
			}
		})
	}
	err := x.produce(ctx, path, last, func(f tileFile) error {
		select {
		case files <- f:
			return nil
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	})
	close(files)
	wg.Wait()
	if cause := context.Cause(ctx); cause != nil {
		return cause
	}
	return err
}

// produce reads records 1 to last.c.N and emits every file of the export.
func (x *exporter) produce(ctx context.Context, path string, last logCheckpoint, emit func(tileFile) error) error {
	var b tileBuilder
	n := last.c.N
	err := scanLog(path, func(s *scanner, rec Record) (bool, error) {
		if int64(rec.Seq) > n {
			return false, nil
		}
		entry := s.raw[:len(s.raw)-HashSize]
		if len(entry) > MaxExportEntry {
			return false, fmt.Errorf("audit export: record %d is %d bytes long, more than the %d of an entry of a C2SP entry bundle: the log cannot be exported", rec.Seq, len(entry), MaxExportEntry)
		}
		if err := b.add(entry, rec.Hash, emit); err != nil {
			return false, err
		}
		if b.n == x.rep.Previous && b.n < n {
			// The partial tiles of the previous checkpoint's tree.
			if err := b.partials(emit); err != nil {
				return false, err
			}
		}
		if rec.Seq%4096 == 0 {
			return true, ctx.Err()
		}
		return true, nil
	})
	if err != nil {
		return err
	}
	if b.n != n {
		return &BadRecordError{Record: uint64(b.n) + 1, Reason: fmt.Sprintf("the log ends after %d records, before the %d its checkpoint record %d covers", b.n, n, last.seq)}
	}
	if b.treeHash() != last.c.Hash {
		return &BadRecordError{Record: last.seq, Reason: fmt.Sprintf("checkpoint: root hash is not that of records 1 to %d: a record before it was changed", n)}
	}
	return b.partials(emit)
}

// settle makes the target hold f: it keeps a file that holds f's bytes,
// writes one that is missing, and replaces one that differs unless the
// target's checkpoint covers it, which is a conflict.
func (x *exporter) settle(ctx context.Context, f tileFile) error {
	covered := f.size <= x.rep.Previous && (f.full || f.size == x.rep.Previous)
	old, err := x.to.Get(ctx, f.path)
	missing := errors.Is(err, fs.ErrNotExist)
	switch {
	case err != nil && !missing:
		return fmt.Errorf("audit export: %w", err)
	case !missing && bytes.Equal(old, f.data):
		x.count(func(r *ExportReport) { r.Kept++ })
		return nil
	case !missing && covered:
		return &ExportConflictError{Path: f.path, Reason: fmt.Sprintf("differs from the log's bytes: the file was changed in storage after the export of tree size %d wrote it", x.rep.Previous)}
	}
	if err := x.to.Put(ctx, f.path, f.data); err != nil {
		return fmt.Errorf("audit export: %w", err)
	}
	x.count(func(r *ExportReport) {
		r.Written++
		r.Bytes += int64(len(f.data))
		if missing && covered {
			r.Restored++
		}
	})
	return nil
}

func (x *exporter) count(f func(*ExportReport)) {
	x.mu.Lock()
	f(x.rep)
	x.mu.Unlock()
}
