package audit

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"

	"golang.org/x/mod/sumdb/tlog"
)

// scanner reads records one by one and checks each on its own: length,
// leaf hash, sequence number and type.
type scanner struct {
	r   *bufio.Reader
	off int64
	seq uint64
	h   hash.Hash
	buf []byte
}

// errTorn marks a record cut short by the end of the input.
var errTorn = errors.New("record is cut short by the end of the file")

func newScanner(r io.Reader) (*scanner, error) {
	s := &scanner{r: bufio.NewReaderSize(r, 1<<16), h: sha256.New()}
	var m [len(Magic)]byte
	n, err := io.ReadFull(s.r, m[:])
	if err != nil && n == 0 && errors.Is(err, io.EOF) {
		return s, io.EOF // empty file
	}
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, err
	}
	if n < len(Magic) || string(m[:]) != Magic {
		return nil, &BadRecordError{Record: 0, Offset: 0, Reason: fmt.Sprintf("the file does not start with the audit log header %q", Magic)}
	}
	s.off = int64(len(Magic))
	return s, nil
}

// next returns the next record; its payload is valid until the next call.
// At the end of the input it returns io.EOF; for a record cut short by the
// end of the input, a *BadRecordError wrapping errTorn; for a record that
// is malformed, a *BadRecordError. I/O errors are returned as they are.
func (s *scanner) next() (Record, error) {
	want := s.seq + 1
	var lb [lenSize]byte
	n, err := io.ReadFull(s.r, lb[:])
	if err != nil {
		if n == 0 && errors.Is(err, io.EOF) {
			return Record{}, io.EOF
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return Record{}, &BadRecordError{Record: want, Offset: s.off, Reason: "length", Err: errTorn}
		}
		return Record{}, err
	}
	l := binary.BigEndian.Uint32(lb[:])
	if l < headSize || l > MaxRecord {
		return Record{}, &BadRecordError{Record: want, Offset: s.off, Reason: fmt.Sprintf("length %d is outside %d to %d", l, headSize, MaxRecord)}
	}
	total := lenSize + int(l) + HashSize
	if cap(s.buf) < total {
		s.buf = make([]byte, total)
	}
	b := s.buf[:total]
	copy(b, lb[:])
	if _, err := io.ReadFull(s.r, b[lenSize:]); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return Record{}, &BadRecordError{Record: want, Offset: s.off, Reason: fmt.Sprintf("%d-byte record", total), Err: errTorn}
		}
		return Record{}, err
	}
	rec, err := decodeRecord(s.h, b, want, s.off)
	if err != nil {
		return Record{}, err
	}
	s.seq = want
	s.off += int64(total)
	return rec, nil
}

// decodeRecord checks and decodes the complete record b, which should be
// record want at offset off.
func decodeRecord(h hash.Hash, b []byte, want uint64, off int64) (Record, error) {
	n := len(b) - HashSize
	body := b[lenSize:n]
	rec := Record{
		Type:    Type(body[0]),
		Seq:     binary.BigEndian.Uint64(body[1:]),
		Time:    int64(binary.BigEndian.Uint64(body[9:])),
		Payload: body[headSize:],
		Offset:  off,
	}
	leafHash(h, b[:n], rec.Hash[:])
	if string(rec.Hash[:]) != string(b[n:]) {
		return Record{}, &BadRecordError{Record: want, Offset: off, Reason: "leaf hash does not match: the record was changed"}
	}
	if rec.Seq != want {
		return Record{}, &BadRecordError{Record: want, Offset: off, Reason: fmt.Sprintf("sequence number %d, want %d: records were removed, reordered or inserted", rec.Seq, want)}
	}
	if !rec.Type.known() {
		return Record{}, &BadRecordError{Record: want, Offset: off, Reason: fmt.Sprintf("unknown record type %d", rec.Type)}
	}
	return rec, nil
}

// classifyTail decides whether tail, the bytes of a log from the start of
// record want (which the scanner found cut short by the end of the file) to
// the end, is a torn tail: the incomplete last write of a crashed writer,
// and nothing else. It is not if a complete, valid record can be found in
// it: at its start with a changed length field, or anywhere after its start
// (the length of a record in the middle of the log was changed). It returns
// nil for a torn tail and a *BadRecordError otherwise.
func classifyTail(tail []byte, want uint64, off int64) error {
	h := sha256.New()
	corrupt := func(why string) error {
		return &BadRecordError{Record: want, Offset: off, Reason: "length field does not match the record (" + why + "); this is not a tail torn by a crash, so nothing is truncated"}
	}
	if len(tail) >= minTotal {
		// The record at the start, if it ends at the end of the file.
		b := make([]byte, len(tail))
		copy(b, tail)
		binary.BigEndian.PutUint32(b, uint32(len(b)-lenSize-HashSize))
		if len(b)-lenSize-HashSize <= MaxRecord {
			if _, err := decodeRecord(h, b, want, off); err == nil {
				return corrupt("a complete record follows it")
			}
		}
	}
	var sum tlog.Hash
	for p := 1; p+minTotal <= len(tail); p++ {
		l := int(binary.BigEndian.Uint32(tail[p:]))
		if l < headSize || l > MaxRecord || p+lenSize+l+HashSize > len(tail) {
			continue
		}
		body := tail[p+lenSize:]
		if !Type(body[0]).known() {
			continue
		}
		if seq := binary.BigEndian.Uint64(body[1:]); seq <= want || seq > want+uint64(len(tail)/minTotal) {
			continue
		}
		end := p + lenSize + l
		leafHash(h, tail[p:end], sum[:])
		if string(sum[:]) == string(tail[end:end+HashSize]) {
			return corrupt(fmt.Sprintf("a valid record %d starts at byte %d", binary.BigEndian.Uint64(body[1:]), off+int64(p)))
		}
	}
	return nil
}

// readAhead runs a scanner on a goroutine of its own, batches ahead of its
// reader, so that reading and leaf hashing overlap with the tree and
// checkpoint work of Verify. Payloads are kept for checkpoint records only.
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
			if err == nil && rec.Type == TypeCheckpoint {
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
