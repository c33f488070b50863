package recordfile

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// TornError is the error of a [Scanner] whose file ends in a torn tail: an
// incomplete final record with nothing valid after it, the incomplete last
// write of a writer that crashed. [Cut] removes it.
type TornError struct {
	Record uint64 // the number the incomplete record would have had, 1 for the first
	Offset int64  // where it starts
	Bytes  int64  // its bytes, to the end of the file
}

func (e *TornError) Error() string {
	return fmt.Sprintf("record %d at byte %d: %d bytes cut short by the end of the file (a torn tail)", e.Record, e.Offset, e.Bytes)
}

// CorruptError is the error of a [Scanner] that found a record that is not
// the torn tail of a crash: a record failing its check or its bounds, a
// missing header, or an incomplete record with valid bytes after it. Nothing
// may be cut: the file is left as it is.
type CorruptError struct {
	Record uint64 // the record's number, 1 for the first (0: the header)
	Offset int64  // where it starts
	Err    error  // what is wrong
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("record %d at byte %d: %v", e.Record, e.Offset, e.Err)
}

func (e *CorruptError) Unwrap() error { return e.Err }

// errIncomplete is the split function's report of an incomplete record at
// the end of the input; Next classifies it.
var errIncomplete = errors.New("incomplete record at the end of the input")

// Scanner reads the records of a file one by one, checking each with its
// [Format]. It is a [bufio.Scanner] whose split function frames records.
type Scanner struct {
	f      *Format
	s      *bufio.Scanner
	header bool   // the header was read
	empty  bool   // the input was empty
	off    int64  // offset of the next record
	recOff int64  // offset of the record last returned
	n      uint64 // records returned
	tail   []byte // the incomplete record at the end of the input
	err    error
}

// NewScanner returns a Scanner of the records of r in format f.
func NewScanner(r io.Reader, f *Format) *Scanner {
	s := &Scanner{f: f, s: bufio.NewScanner(r), header: f.Header == ""}
	// The buffer can hold the largest record; Frame never asks for more.
	s.s.Buffer(make([]byte, 1<<16), max(1<<16, f.MaxRecord+len(f.Header)+1))
	s.s.Split(s.split)
	return s
}

func (s *Scanner) split(data []byte, atEOF bool) (int, []byte, error) {
	if !s.header {
		h := len(s.f.Header)
		switch {
		case len(data) >= h && string(data[:h]) == s.f.Header:
			s.header = true
			s.off = int64(h)
			return h, nil, nil
		case atEOF && len(data) == 0:
			s.empty = true
			return 0, nil, nil
		case len(data) >= h || atEOF:
			return 0, nil, &CorruptError{Record: 0, Offset: 0, Err: fmt.Errorf("the file does not start with the header %q", s.f.Header)}
		}
		return 0, nil, nil
	}
	if len(data) == 0 {
		s.empty = atEOF && s.off == 0
		return 0, nil, nil
	}
	n, err := s.f.Frame(data)
	if err != nil {
		return 0, nil, &CorruptError{Record: s.n + 1, Offset: s.off, Err: err}
	}
	if n > 0 {
		s.recOff = s.off
		s.off += int64(n)
		s.n++
		return n, data[:n], nil
	}
	if !atEOF {
		return 0, nil, nil
	}
	s.tail = data
	return 0, nil, errIncomplete
}

// Next returns the next record, valid until the next call. At the end of
// the input it returns io.EOF; at a torn tail, a *[TornError]; at a record
// that is not valid, a *[CorruptError]; a read error as it is. Once it has
// returned an error it returns the same error.
func (s *Scanner) Next() ([]byte, error) {
	if s.err != nil {
		return nil, s.err
	}
	if s.s.Scan() {
		return s.s.Bytes(), nil
	}
	err := s.s.Err()
	switch {
	case err == nil:
		err = io.EOF
	case errors.Is(err, errIncomplete):
		err = s.f.classifyTail(s.tail, s.n+1, s.off)
		s.tail = nil
	}
	s.err = err
	return nil, err
}

// Empty reports whether the input was empty (Next returned io.EOF at once).
func (s *Scanner) Empty() bool { return s.empty }

// Records returns the number of records Next has returned.
func (s *Scanner) Records() uint64 { return s.n }

// Offset returns the offset of the record Next returned last.
func (s *Scanner) Offset() int64 { return s.recOff }

// End returns the offset just past the last record Next returned (past the
// header before the first): where a torn tail starts, and where the next
// record is appended.
func (s *Scanner) End() int64 { return s.off }

// classifyTail decides whether tail, the bytes from the start of record
// (at offset off) to the end of the input, which f.Frame found incomplete,
// is a torn tail: the incomplete last write of a crashed writer and nothing
// else. It is not if it is a complete valid record with a changed length
// field, or if a complete valid record starts anywhere after its start.
func (f *Format) classifyTail(tail []byte, record uint64, off int64) error {
	corrupt := func(why string) error {
		return &CorruptError{Record: record, Offset: off, Err: fmt.Errorf("cut short by the end of the file, but %s: this is not a tail torn by a crash, so nothing is cut", why)}
	}
	if f.Relength != nil && f.Relength(tail) {
		return corrupt("its length field was changed (the bytes to the end of the file are a complete valid record)")
	}
	for p := 1; p < len(tail); p++ {
		if n, err := f.Frame(tail[p:]); err == nil && n > 0 {
			return corrupt(fmt.Sprintf("a valid record starts at byte %d after it", off+int64(p)))
		}
	}
	return &TornError{Record: record, Offset: off, Bytes: int64(len(tail))}
}
