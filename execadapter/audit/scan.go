package audit

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// scanner reads records one by one and checks the chain.
type scanner struct {
	r    *bufio.Reader
	off  int64
	seq  uint64
	prev [HashSize]byte
	buf  []byte
}

// errTorn marks a record cut short by the end of the input: the torn tail a
// crash leaves.
var errTorn = errors.New("record is cut short by the end of the file")

func newScanner(r io.Reader) (*scanner, error) {
	s := &scanner{r: bufio.NewReaderSize(r, 1<<16), prev: genesis}
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

// next returns the next record. At the end of the input it returns io.EOF;
// for a record cut short, a *BadRecordError wrapping errTorn; for a record
// that breaks the chain, a *BadRecordError. I/O errors are returned as they
// are.
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
	body := b[lenSize : lenSize+int(l)]
	h := sha256.New()
	h.Write(s.prev[:])
	h.Write(b[:lenSize+int(l)])
	var sum [HashSize]byte
	h.Sum(sum[:0])
	if string(sum[:]) != string(b[lenSize+int(l):]) {
		return Record{}, &BadRecordError{Record: want, Offset: s.off, Reason: "chain hash does not match: the record or one before it was changed, removed, reordered or inserted"}
	}
	rec := Record{
		Type:    Type(body[0]),
		Seq:     binary.BigEndian.Uint64(body[1:]),
		Time:    int64(binary.BigEndian.Uint64(body[9:])),
		Payload: body[headSize:],
		Offset:  s.off,
		Hash:    sum,
	}
	if rec.Seq != want {
		return Record{}, &BadRecordError{Record: want, Offset: s.off, Reason: fmt.Sprintf("sequence number %d, want %d", rec.Seq, want)}
	}
	if !rec.Type.known() {
		return Record{}, &BadRecordError{Record: want, Offset: s.off, Reason: fmt.Sprintf("unknown record type %d", rec.Type)}
	}
	s.seq = want
	s.prev = sum
	s.off += int64(total)
	return rec, nil
}
