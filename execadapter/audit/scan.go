package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/tinywindow/tinywindow/internal/recordfile"
)

// scanner reads records one by one and checks each on its own: length,
// leaf hash, type and sequence number. It is a recordfile.Scanner, whose
// torn-tail rule is the venue state's too.
type scanner struct {
	s   *recordfile.Scanner
	f   *auditFrame
	seq uint64 // of the last record read
	off int64  // offset of the next record
	raw []byte // the last record read, length to leaf hash; valid until the next call
	// The first result, read by newScanner to tell an empty file.
	first    []byte
	firstErr error
	peeked   bool
}

// errTorn marks a record cut short by the end of the input with nothing
// valid after it: a torn tail.
var errTorn = errors.New("record is cut short by the end of the file")

// auditFrame frames the records of an audit log for recordfile; it keeps
// the leaf hash of the record it checked last, so that a record is hashed
// once.
type auditFrame struct {
	h    hash.Hash
	hash tlog.Hash
	fmt  recordfile.Format
}

func newAuditFrame() *auditFrame {
	a := &auditFrame{h: sha256.New()}
	a.fmt = recordfile.Format{Header: Magic, MaxRecord: lenSize + MaxRecord + HashSize, Frame: a.frame, Relength: a.relength}
	return a
}

// frame checks the record at the start of b: its length, leaf hash and type.
func (a *auditFrame) frame(b []byte) (int, error) {
	if len(b) < lenSize {
		return 0, nil
	}
	total, err := recordSize(binary.BigEndian.Uint32(b))
	if err != nil {
		return 0, err
	}
	if len(b) < total {
		return 0, nil
	}
	if err := checkRecord(a.h, b[:total], &a.hash); err != nil {
		return 0, err
	}
	return total, nil
}

// recordSize returns the size of a record, length field to leaf hash, whose
// length field is l, or an error if l is out of bounds.
func recordSize(l uint32) (int, error) {
	if l < headSize || l > MaxRecord {
		return 0, fmt.Errorf("length %d is outside %d to %d", l, headSize, MaxRecord)
	}
	return lenSize + int(l) + HashSize, nil
}

// relength reports whether tail is a valid record whose length field was
// changed.
func (a *auditFrame) relength(tail []byte) bool {
	l := len(tail) - lenSize - HashSize
	if l < headSize || l > MaxRecord {
		return false
	}
	b := bytes.Clone(tail)
	binary.BigEndian.PutUint32(b, uint32(l))
	var sum tlog.Hash
	return checkRecord(a.h, b, &sum) == nil
}

func newScanner(r io.Reader) (*scanner, error) {
	f := newAuditFrame()
	s := &scanner{s: recordfile.NewScanner(r, &f.fmt), f: f, off: int64(len(Magic))}
	s.first, s.firstErr = s.s.Next()
	s.peeked = true
	if s.s.Empty() {
		return s, io.EOF
	}
	var bad *recordfile.CorruptError
	if errors.As(s.firstErr, &bad) && bad.Record == 0 {
		return nil, &BadRecordError{Record: 0, Offset: 0, Reason: fmt.Sprintf("the file does not start with the audit log header %q", Magic)}
	}
	return s, nil
}

// next returns the next record; its payload is valid until the next call.
// At the end of the input it returns io.EOF; for a torn tail (a last record
// cut short by the end of the input, with nothing valid after it), a
// *BadRecordError wrapping errTorn; for a record that is malformed, a
// *BadRecordError. I/O errors are returned as they are.
func (s *scanner) next() (Record, error) {
	var b []byte
	var err error
	if s.peeked {
		b, err, s.peeked, s.first = s.first, s.firstErr, false, nil
	} else {
		b, err = s.s.Next()
	}
	want := s.seq + 1
	if err != nil {
		var torn *recordfile.TornError
		var bad *recordfile.CorruptError
		switch {
		case errors.As(err, &torn):
			return Record{}, &BadRecordError{Record: want, Offset: torn.Offset, Reason: fmt.Sprintf("%d-byte record", torn.Bytes), Err: errTorn}
		case errors.As(err, &bad):
			return Record{}, &BadRecordError{Record: want, Offset: bad.Offset, Reason: bad.Err.Error()}
		}
		return Record{}, err
	}
	rec := decodeChecked(b, s.s.Offset())
	rec.Hash = s.f.hash
	if rec.Seq != want {
		return Record{}, badSeq(rec.Seq, want, rec.Offset)
	}
	s.seq = want
	s.off = rec.Offset + int64(len(b))
	s.raw = b
	return rec, nil
}

// checkRecord checks the complete record b: its leaf hash, which it puts
// in sum, and its type.
func checkRecord(h hash.Hash, b []byte, sum *tlog.Hash) error {
	n := len(b) - HashSize
	leafHash(h, b[:n], sum[:])
	if string(sum[:]) != string(b[n:]) {
		return errors.New("leaf hash does not match: the record was changed")
	}
	if t := Type(b[lenSize]); !t.known() {
		return fmt.Errorf("unknown record type %d", t)
	}
	return nil
}

// decodeChecked decodes the complete record b at offset off, which
// checkRecord accepted; its hash is the caller's to set.
func decodeChecked(b []byte, off int64) Record {
	body := b[lenSize : len(b)-HashSize]
	return Record{
		Type:    Type(body[0]),
		Seq:     binary.BigEndian.Uint64(body[1:]),
		Time:    int64(binary.BigEndian.Uint64(body[9:])),
		Payload: body[headSize:],
		Offset:  off,
	}
}

func badSeq(seq, want uint64, off int64) error {
	return &BadRecordError{Record: want, Offset: off, Reason: fmt.Sprintf("sequence number %d, want %d: records were removed, reordered or inserted", seq, want)}
}

// decodeRecord checks and decodes the complete record b, which should be
// record want at offset off.
func decodeRecord(h hash.Hash, b []byte, want uint64, off int64) (Record, error) {
	var sum tlog.Hash
	if err := checkRecord(h, b, &sum); err != nil {
		return Record{}, &BadRecordError{Record: want, Offset: off, Reason: err.Error()}
	}
	rec := decodeChecked(b, off)
	rec.Hash = sum
	if rec.Seq != want {
		return Record{}, badSeq(rec.Seq, want, off)
	}
	return rec, nil
}

// readAhead runs a scanner on a goroutine of its own, batches ahead of its
// reader, so that reading and leaf hashing overlap with the tree and
// checkpoint work of Verify. Payloads are kept for checkpoint and kill
// records only.
type readAhead struct {
	ch, free chan []scanned
	done     chan struct{}
	cur      []scanned
	used     []scanned
	seq      uint64 // the scanner's seq and off as of the last record read
	off      int64
}

type scanned struct {
	rec Record
	err error
	seq uint64
	off int64
}

const readAheadBatch = 1024

func newReadAhead(s *scanner) *readAhead {
	ra := &readAhead{ch: make(chan []scanned, 4), free: make(chan []scanned, 8), done: make(chan struct{})}
	go func() {
		defer close(ra.ch)
		batch := make([]scanned, 0, readAheadBatch)
		for {
			rec, err := s.next()
			if err == nil && (rec.Type == TypeCheckpoint || rec.Type == TypeKill) {
				rec.Payload = append([]byte(nil), rec.Payload...)
			} else {
				rec.Payload = nil
			}
			batch = append(batch, scanned{rec, err, s.seq, s.off})
			if err == nil && len(batch) < readAheadBatch {
				continue
			}
			select {
			case ra.ch <- batch:
			case <-ra.done:
				return
			}
			if err != nil {
				return
			}
			select {
			case batch = <-ra.free:
				batch = batch[:0]
			default:
				batch = make([]scanned, 0, readAheadBatch)
			}
		}
	}()
	return ra
}

// next returns what the scanner's next returned.
func (ra *readAhead) next() (Record, error) {
	if len(ra.cur) == 0 {
		if ra.used != nil {
			select {
			case ra.free <- ra.used:
			default:
			}
		}
		b, ok := <-ra.ch
		if !ok {
			return Record{}, io.ErrUnexpectedEOF
		}
		ra.cur, ra.used = b, b
	}
	it := ra.cur[0]
	ra.cur = ra.cur[1:]
	ra.seq, ra.off = it.seq, it.off
	return it.rec, it.err
}

// stop ends the scanning goroutine.
func (ra *readAhead) stop() { close(ra.done) }
