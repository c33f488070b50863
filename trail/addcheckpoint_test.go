package trail

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/tlog"
)

var (
	hashA = tlog.RecordHash([]byte("a")).String()
	hashB = tlog.RecordHash([]byte("b")).String()
)

// TestParseAddCheckpoint: well-formed bodies parse to their parts; every
// departure from the strict form is refused with ErrMalformed.
func TestParseAddCheckpoint(t *testing.T) {
	const note = "o\n1\nh\n\n— o sig\n"
	good := []struct {
		name   string
		body   string
		old    int64
		hashes int
	}{
		{"old 0", "old 0\n\n" + note, 0, 0},
		{"two hashes", "old 5\n" + hashA + "\n" + hashB + "\n\n" + note, 5, 2},
		{"same size, no proof", "old 7\n\n" + note, 7, 0},
		{"63 hashes", "old 9\n" + strings.Repeat(hashA+"\n", 63) + "\n" + note, 9, 63},
	}
	for _, tc := range good {
		t.Run(tc.name, func(t *testing.T) {
			old, proof, n, err := ParseAddCheckpoint([]byte(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if old != tc.old || len(proof) != tc.hashes || string(n) != note {
				t.Errorf("got old %d, %d hashes, note %q", old, len(proof), n)
			}
		})
	}
	bad := []struct{ name, body string }{
		{"empty", ""},
		{"no old line", "old 5"},
		{"not old", "size 5\n\n" + note},
		{"negative", "old -1\n\n" + note},
		{"leading zero", "old 05\n\n" + note},
		{"plus sign", "old +5\n\n" + note},
		{"space", "old  5\n\n" + note},
		{"overflow", "old 99999999999999999999\n\n" + note},
		{"no empty line", "old 5\n" + hashA + "\n"},
		{"short hash", "old 5\nAAAA\n\n" + note},
		{"non-canonical hash", "old 5\n" + hashA[:42] + "B\n\n" + note},
		{"hash with CR", "old 5\n" + hashA + "\r\n\n" + note},
		{"64 hashes", "old 9\n" + strings.Repeat(hashA+"\n", 64) + "\n" + note},
		{"proof from 0", "old 0\n" + hashA + "\n\n" + note},
		{"no note", "old 5\n\n"},
		{"too large", "old 5\n\n" + strings.Repeat("x", MaxAddCheckpointSize)},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, _, err := ParseAddCheckpoint([]byte(tc.body)); !errors.Is(err, ErrMalformed) {
				t.Errorf("err %v, want ErrMalformed", err)
			}
		})
	}
}

// FuzzParseAddCheckpoint: the parser never panics; what it accepts is
// within its bounds and formats back to the same body.
func FuzzParseAddCheckpoint(f *testing.F) {
	f.Add([]byte("old 0\n\no\n1\nh\n\n— o sig\n"))
	f.Add([]byte("old 5\n" + hashA + "\n" + hashB + "\n\nnote"))
	f.Add([]byte("old 5\n\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		old, proof, note, err := ParseAddCheckpoint(body)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not match ErrMalformed", err)
			}
			return
		}
		if old < 0 || len(proof) > MaxProofHashes || len(note) == 0 || (old == 0 && len(proof) > 0) {
			t.Fatalf("accepted out of bounds: old %d, %d hashes, %d note bytes", old, len(proof), len(note))
		}
		var b bytes.Buffer
		b.WriteString("old ")
		b.WriteString(strconv.FormatInt(old, 10))
		b.WriteByte('\n')
		for _, h := range proof {
			b.WriteString(h.String() + "\n")
		}
		b.WriteByte('\n')
		b.Write(note)
		if !bytes.Equal(b.Bytes(), body) {
			t.Fatalf("accepted %q, which formats back as %q", body, b.Bytes())
		}
	})
}
