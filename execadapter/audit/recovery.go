package audit

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/tinywindow/tinywindow/internal/recordfile"
)

// Recovery says what Open found: the intact records, and the torn tail it
// cut, if any. It is the venue state's report too (venue.Recovery).
type Recovery = recordfile.Recovery

// recover reads the file, rebuilds the tree and its hashes and index files,
// checks the log against anchor (the latest checkpoint in the checkpoints
// file) and truncates a torn tail. It returns the origin of the log's
// checkpoints ("" if none).
func (w *Writer) recover(anchor Checkpoint) (Recovery, string, error) {
	var rec Recovery
	where := func(err error) error {
		return fmt.Errorf("audit log %s: %w (run tinywindow audit verify to examine it; the writer leaves the file untouched)", w.path, err)
	}
	if _, err := w.f.Seek(0, io.SeekStart); err != nil {
		return rec, "", fmt.Errorf("audit log %s: %w", w.path, err)
	}
	if err := w.openSidecars(); err != nil {
		return rec, "", err
	}
	s, err := newScanner(w.f)
	if errors.Is(err, io.EOF) { // new file
		if anchor.N > 0 {
			return rec, "", where(fmt.Errorf("%w: the log is empty but checkpoint %d in %s covers %d records", ErrCorrupt, anchor.N, w.opts.CheckpointsPath, anchor.N))
		}
		if _, err := w.f.Write([]byte(Magic)); err != nil {
			return rec, "", fmt.Errorf("%w: audit log %s: writing header: %w", ErrNotDurable, w.path, err)
		}
		w.off = int64(len(Magic))
		return rec, "", nil
	}
	if err != nil {
		return rec, "", where(err)
	}
	hw, xw := bufio.NewWriterSize(w.hf, 1<<16), bufio.NewWriterSize(w.xf, 1<<16)
	store := func(h tlog.Hash) { hw.Write(h[:]) }
	origin := ""
	lastN := int64(-1)
	var ob [8]byte
	for {
		r, err := s.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if errors.Is(err, errTorn) {
			if anchor.N >= int64(s.seq+1) {
				return rec, "", where(fmt.Errorf("%w: record %d at byte %d is cut short, but checkpoint %d in %s covers it", ErrCorrupt, s.seq+1, s.off, anchor.N, w.opts.CheckpointsPath))
			}
			end, serr := w.f.Seek(0, io.SeekEnd)
			if serr != nil {
				return rec, "", fmt.Errorf("audit log %s: %w", w.path, serr)
			}
			if rec, err = recordfile.Cut(w.f, &recordfile.TornError{Record: s.seq + 1, Offset: s.off, Bytes: end - s.off}, s.seq); err != nil {
				return rec, "", fmt.Errorf("%w: audit log %s: %w", ErrNotDurable, w.path, err)
			}
			break
		}
		if err != nil {
			return rec, "", where(err)
		}
		if r.Type == TypeCheckpoint {
			// The checkpoint's root must be the tree's at its size (its
			// signature is Verify's to check).
			bad := func(why string) error {
				return where(&BadRecordError{Record: r.Seq, Offset: r.Offset, Reason: "checkpoint: " + why})
			}
			text, _, _ := cutNote(r.Payload)
			c, err := ParseCheckpoint(text)
			if err != nil {
				return rec, "", bad(err.Error())
			}
			if origin != "" && c.Origin != origin {
				return rec, "", bad(fmt.Sprintf("origin %q, but the log is %q", c.Origin, origin))
			}
			if c.N <= lastN || c.N >= int64(r.Seq) {
				return rec, "", bad(fmt.Sprintf("tree size %d, want between %d and %d", c.N, lastN+1, r.Seq-1))
			}
			if err := hw.Flush(); err != nil {
				return rec, "", fmt.Errorf("audit log %s: hashes file: %w", w.path, err)
			}
			root, err := tlog.TreeHash(c.N, fileHashReader{w.hf})
			if err != nil {
				return rec, "", fmt.Errorf("audit log %s: %w", w.path, err)
			}
			if root != c.Hash {
				return rec, "", bad(fmt.Sprintf("root hash is not that of records 1 to %d: a record before it was changed", c.N))
			}
			origin, lastN = c.Origin, c.N
		}
		w.tree.append(r.Hash, store)
		binary.BigEndian.PutUint64(ob[:], uint64(r.Offset))
		xw.Write(ob[:])
		if w.tree.n == anchor.N {
			if anchor.Origin != "" && origin != "" && anchor.Origin != origin {
				return rec, "", where(fmt.Errorf("%w: checkpoints file %s is of log %q, this log is %q", ErrCorrupt, w.opts.CheckpointsPath, anchor.Origin, origin))
			}
			if w.tree.root() != anchor.Hash {
				return rec, "", where(fmt.Errorf("%w: records 1 to %d do not match checkpoint %d in %s", ErrCorrupt, anchor.N, anchor.N, w.opts.CheckpointsPath))
			}
		}
	}
	if w.tree.n < anchor.N {
		return rec, "", where(fmt.Errorf("%w: the log holds %d records but checkpoint %d in %s covers %d: records were cut off", ErrCorrupt, w.tree.n, anchor.N, w.opts.CheckpointsPath, anchor.N))
	}
	if anchor.Origin != "" && origin == "" {
		origin = anchor.Origin
	}
	if err := hw.Flush(); err != nil {
		return rec, "", fmt.Errorf("audit log %s: hashes file: %w", w.path, err)
	}
	if err := xw.Flush(); err != nil {
		return rec, "", fmt.Errorf("audit log %s: index file: %w", w.path, err)
	}
	rec.Records = s.seq
	w.seq = s.seq
	w.durable.Store(s.seq)
	w.written = s.seq
	w.off = s.off
	if _, err := w.f.Seek(s.off, io.SeekStart); err != nil {
		return rec, "", fmt.Errorf("audit log %s: %w", w.path, err)
	}
	return rec, origin, nil
}
