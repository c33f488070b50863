package service

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/tinywindow/tinywindow/internal/recordfile"
	"github.com/tinywindow/tinywindow/provider"
)

// checkpointStateHeader starts every checkpoint state file.
const checkpointStateHeader = "TinyWindow checkpoint state v1\n"

// MaxOriginBytes bounds the origin of a checkpoint the service signs.
const MaxOriginBytes = 255

// A checkpoint state file is the header, then one record for each
// checkpoint the key signed, the last record of an origin being its state:
//
//	2   length L of the body (1 + o + 8 + 32)
//	L   body: origin length o (1 to 255), origin, tree size (8, big-endian), root hash (32)
//	32  SHA-256 of the body
const (
	ckBodyFixed = 1 + 8 + tlog.HashSize
	ckMaxRecord = 2 + ckBodyFixed + MaxOriginBytes + sha256.Size
)

var checkpointStateFormat = &recordfile.Format{
	Header:    checkpointStateHeader,
	MaxRecord: ckMaxRecord,
	Frame: func(b []byte) (int, error) {
		if len(b) < 2 {
			return 0, nil
		}
		l := int(binary.BigEndian.Uint16(b))
		if l < ckBodyFixed+1 || l > ckBodyFixed+MaxOriginBytes {
			return 0, fmt.Errorf("body length %d is outside %d to %d", l, ckBodyFixed+1, ckBodyFixed+MaxOriginBytes)
		}
		n := 2 + l + sha256.Size
		if len(b) < n {
			return 0, nil
		}
		body := b[2 : 2+l]
		if int(body[0]) != l-ckBodyFixed {
			return 0, fmt.Errorf("origin length %d does not fit the %d-byte body", body[0], l)
		}
		if h := sha256.Sum256(body); string(h[:]) != string(b[2+l:n]) {
			return 0, errors.New("checksum mismatch")
		}
		return n, nil
	},
}

// appendCheckpointRecord appends the record of origin's tree t to dst.
func appendCheckpointRecord(dst []byte, origin string, t tlog.Tree) []byte {
	start := len(dst)
	dst = binary.BigEndian.AppendUint16(dst, uint16(ckBodyFixed+len(origin)))
	dst = append(dst, byte(len(origin)))
	dst = append(dst, origin...)
	dst = binary.BigEndian.AppendUint64(dst, uint64(t.N))
	dst = append(dst, t.Hash[:]...)
	h := sha256.Sum256(dst[start+2:])
	return append(dst, h[:]...)
}

// parseCheckpointRecord decodes a record the format has framed and checked.
func parseCheckpointRecord(rec []byte) (string, tlog.Tree) {
	body := rec[2 : len(rec)-sha256.Size]
	o := int(body[0])
	origin := string(body[1 : 1+o])
	var t tlog.Tree
	t.N = int64(binary.BigEndian.Uint64(body[1+o:]))
	copy(t.Hash[:], body[1+o+8:])
	return origin, t
}

// ErrCheckpointState matches the error of a checkpoint key whose state file
// is missing or damaged: the key signs no checkpoint until an operator
// mends or restores the file (docs/service.md). It also matches
// provider.ErrUnavailable.
var ErrCheckpointState = fmt.Errorf("%w: checkpoint state", provider.ErrUnavailable)

// checkpointState is the state file of a key of purpose checkpoints: per
// origin, the tree it last signed. The file is locked while the service
// holds it; the service keeps one checkpointState per file across reloads.
type checkpointState struct {
	path string

	mu   sync.Mutex // held from a check to the write of its record
	f    *os.File
	lock *recordfile.Lock
	err  error // not nil: the file is missing or damaged, and the key signs nothing
	last map[string]tlog.Tree
	buf  []byte
}

// openCheckpointState opens and reads the state file at path. It never
// creates it: a missing file, an empty one, a record that fails its check or
// a file that another process holds gives a checkpointState whose every
// use fails with ErrCheckpointState. A torn final record (a write cut short
// by a crash, before the service answered) is cut, as in every record file.
func openCheckpointState(path string) *checkpointState {
	cs := &checkpointState{path: path, last: map[string]tlog.Tree{}}
	if err := cs.open(); err != nil {
		cs.close()
		cs.err = fmt.Errorf("%w: file %s: %w", ErrCheckpointState, path, err)
	}
	return cs
}

func (cs *checkpointState) open() error {
	if _, err := os.Lstat(cs.path); errors.Is(err, fs.ErrNotExist) {
		return errors.New("missing; the key signs no checkpoint without the record of what it signed: restore the file, or for a key that never signed a checkpoint create it with tinywindow serve --init-checkpoint-state")
	}
	var err error
	if cs.lock, err = recordfile.Acquire(cs.path + ".lock"); err != nil {
		return err
	}
	if cs.f, err = recordfile.OpenExisting(cs.path, os.O_RDWR|os.O_APPEND); err != nil {
		return err
	}
	st, err := cs.f.Stat()
	if err != nil {
		return err
	}
	if err := recordfile.CheckMode(cs.path, st); err != nil {
		return err
	}
	sc := recordfile.NewScanner(cs.f, checkpointStateFormat)
	for {
		rec, err := sc.Next()
		var torn *recordfile.TornError
		switch {
		case errors.Is(err, io.EOF) && sc.Empty():
			return errors.New("empty, without its header: damaged")
		case errors.Is(err, io.EOF):
			return nil
		case errors.As(err, &torn):
			_, err = recordfile.Cut(cs.f, torn, sc.Records())
			return err
		case err != nil:
			return fmt.Errorf("damaged: %w", err)
		}
		origin, t := parseCheckpointRecord(rec)
		if prev, ok := cs.last[origin]; ok && t.N < prev.N {
			return fmt.Errorf("damaged: record %d sets origin %q back from size %d to %d", sc.Records(), origin, prev.N, t.N)
		}
		cs.last[origin] = t
	}
}

// record writes the tree t of origin to the file and fsyncs it. Its caller
// holds cs.mu. A failed write leaves the file in a state the service does
// not know, so that the key signs nothing more until a restart reads it.
func (cs *checkpointState) record(origin string, t tlog.Tree) error {
	cs.buf = appendCheckpointRecord(cs.buf[:0], origin, t)
	_, err := cs.f.Write(cs.buf)
	if err == nil {
		err = cs.f.Sync()
	}
	if err != nil {
		cs.err = fmt.Errorf("%w: file %s: writing the record of origin %q at size %d: %w; restart the service once the disk is mended", ErrCheckpointState, cs.path, origin, t.N, err)
		return cs.err
	}
	cs.last[origin] = t
	return nil
}

func (cs *checkpointState) close() {
	if cs.f != nil {
		cs.f.Close()
		cs.f = nil
	}
	if cs.lock != nil {
		cs.lock.Release()
		cs.lock = nil
	}
}

// InitCheckpointState creates the checkpoint state file of a key of purpose
// checkpoints that has never signed a checkpoint: a file holding only its
// header, mode 0600, fsynced with its directory. An existing file is an
// error: the state of a key that signed checkpoints is never started over.
func InitCheckpointState(path string) error {
	f, err := recordfile.OpenFile(path, os.O_WRONLY|os.O_EXCL)
	if err != nil {
		return fmt.Errorf("checkpoint state file %s: %w", path, err)
	}
	_, err = f.WriteString(checkpointStateHeader)
	if err == nil {
		err = f.Sync()
	}
	if e := f.Close(); err == nil {
		err = e
	}
	if err != nil {
		return fmt.Errorf("checkpoint state file %s: %w", path, err)
	}
	return nil
}
