package audit

import (
	"bytes"
	"context"
	"errors"
	"io"
	"path/filepath"
	"testing"
)

// FuzzScanner runs the record scanner, the torn-tail classifier and
// Verify on arbitrary bytes held in memory. None may panic; a log Verify
// accepts scans to the end; and a tail the classifier calls torn holds no
// valid record after its start.
func FuzzScanner(f *testing.F) {
	f.Add(writeLog(f, filepath.Join(f.TempDir(), "a.log"), Always, 3))
	f.Add([]byte(Magic))
	f.Add([]byte(Magic + "\x00\x00\x00\x11"))
	_, keys := key(f, 42)
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := newScanner(bytes.NewReader(b))
		if err == nil {
			for {
				_, err := s.next()
				if err == nil {
					continue
				}
				if errors.Is(err, errTorn) {
					tail := b[s.off:]
					if len(tail) <= lenSize+MaxRecord+HashSize && classifyTail(tail, s.seq+1, s.off) == nil {
						for p := 1; p+minTotal <= len(tail); p++ {
							if r, err := newScannerAt(tail[p:], s.seq+2); err == nil && r.Seq <= s.seq+1+uint64(len(tail)/minTotal) {
								t.Fatalf("torn tail at %d holds a valid record at %d", s.off, s.off+int64(p))
							}
						}
					}
				}
				break
			}
		}
		rep, err := Verify(context.Background(), bytes.NewReader(b), VerifyOptions{Keys: keys})
		if err == nil && (rep.Records == 0 || rep.Checkpoints == 0) {
			t.Fatalf("verified a log of %d records and %d checkpoints", rep.Records, rep.Checkpoints)
		}
	})
}

// newScannerAt decodes one record at the start of b whose sequence number
// is at least min.
func newScannerAt(b []byte, min uint64) (Record, error) {
	if len(b) < minTotal {
		return Record{}, io.ErrUnexpectedEOF
	}
	l := int(b[0])<<24 | int(b[1])<<16 | int(b[2])<<8 | int(b[3])
	if l < headSize || l > MaxRecord || lenSize+l+HashSize > len(b) {
		return Record{}, io.ErrUnexpectedEOF
	}
	r := b[:lenSize+l+HashSize]
	seq := uint64(0)
	for _, c := range r[5:13] {
		seq = seq<<8 | uint64(c)
	}
	if seq < min {
		return Record{}, io.ErrUnexpectedEOF
	}
	return decodeRecord(newTestHash(), r, seq, 0)
}
