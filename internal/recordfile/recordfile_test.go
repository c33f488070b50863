package recordfile

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// testFormat frames records as a 1-byte payload length (1 to 40), the
// payload and a CRC-32C of both, after the header "TEST".
var testFormat = &Format{
	Header:    "TEST",
	MaxRecord: 1 + 40 + 4,
	Frame: func(b []byte) (int, error) {
		l := int(b[0])
		if l == 0 || l > 40 {
			return 0, fmt.Errorf("length %d is outside 1 to 40", l)
		}
		n := 1 + l + 4
		if len(b) < n {
			return 0, nil
		}
		if crc32.Checksum(b[:n-4], crcTable) != binary.BigEndian.Uint32(b[n-4:]) {
			return 0, errors.New("checksum does not match")
		}
		return n, nil
	},
	Relength: func(tail []byte) bool {
		if len(tail) < 6 || len(tail) > 45 {
			return false
		}
		b := bytes.Clone(tail)
		b[0] = byte(len(b) - 5)
		return crc32.Checksum(b[:len(b)-4], crcTable) == binary.BigEndian.Uint32(b[len(b)-4:])
	},
}

var crcTable = crc32.MakeTable(crc32.Castagnoli)

func record(payload string) []byte {
	b := append([]byte{byte(len(payload))}, payload...)
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(b, crcTable))
}

// file is the header and the records a, bb and ccc at offsets 4, 10 and
// 17 (each is 5 bytes and its payload), and extra from byte 25.
func file(extra ...[]byte) []byte {
	b := []byte("TEST")
	for _, p := range []string{"a", "bb", "ccc"} {
		b = append(b, record(p)...)
	}
	for _, e := range extra {
		b = append(b, e...)
	}
	return b
}

func flip(b []byte, i int, mask byte) []byte {
	b = bytes.Clone(b)
	b[i] ^= mask
	return b
}

// scanAll returns the records and the error that ended the scan.
func scanAll(b []byte) ([]string, *Scanner, error) {
	s := NewScanner(bytes.NewReader(b), testFormat)
	var recs []string
	for {
		r, err := s.Next()
		if err != nil {
			return recs, s, err
		}
		recs = append(recs, string(r[1:len(r)-4]))
	}
}

func TestScanner(t *testing.T) {
	whole := file()
	rec4 := record("dddd")
	tests := []struct {
		name    string
		in      []byte
		records int
		torn    *TornError // the torn tail expected, if any
		corrupt int64      // the offset of the corruption expected, or -1
	}{
		{"empty", nil, 0, nil, -1},
		{"intact", whole, 3, nil, -1},
		{"torn length only", file(rec4[:1]), 3, &TornError{Record: 4, Offset: 25, Bytes: 1}, -1},
		{"torn record", file(rec4[:7]), 3, &TornError{Record: 4, Offset: 25, Bytes: 7}, -1},
		{"check fails in the middle", flip(whole, 11, 1), 1, nil, 10},
		{"check fails in the last record", flip(whole, 18, 1), 2, nil, 17},
		{"zeroed first byte", flip(whole, 4, whole[4]), 0, nil, 4},
		{"zeroes at the end", file(make([]byte, 20)), 3, nil, 25},
		{"incomplete record followed by a valid one", file(rec4[:2], record("e")), 3, nil, 25},
		{"last length field changed", flip(file(rec4), 25, 0x08), 3, nil, 25},
		{"middle length field grown", flip(whole, 10, 0x10), 1, nil, 10},
		{"no header", whole[4:], 0, nil, 0},
		{"cut header", whole[:2], 0, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs, s, err := scanAll(tt.in)
			if len(recs) != tt.records {
				t.Errorf("%d records %q; want %d", len(recs), recs, tt.records)
			}
			var torn *TornError
			var corrupt *CorruptError
			switch {
			case tt.torn != nil:
				if !errors.As(err, &torn) || *torn != *tt.torn {
					t.Fatalf("got %v; want torn tail %+v", err, *tt.torn)
				}
				if s.End() != tt.torn.Offset {
					t.Fatalf("End() = %d; want %d", s.End(), tt.torn.Offset)
				}
			case tt.corrupt >= 0:
				if !errors.As(err, &corrupt) || corrupt.Offset != tt.corrupt {
					t.Fatalf("got %v; want corruption at byte %d", err, tt.corrupt)
				}
			default:
				if err != io.EOF || s.End() != int64(max(len(tt.in), 0)) && len(tt.in) > 0 {
					t.Fatalf("got %v, end %d; want io.EOF at %d", err, s.End(), len(tt.in))
				}
				if s.Empty() != (len(tt.in) == 0) {
					t.Fatalf("Empty() = %v", s.Empty())
				}
			}
		})
	}
}

// FuzzRecordScanner runs the scanner on arbitrary bytes held in memory.
// It may not panic; the records it returns are the input's bytes in order;
// it ends at the end of the input, or at a torn tail that reaches the end
// of the input and holds no valid record after its start, or at a
// corruption.
func FuzzRecordScanner(f *testing.F) {
	f.Add(file())
	f.Add(file(record("dddd")[:3]))
	f.Add(flip(file(), 11, 1))
	f.Add([]byte("TEST\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s := NewScanner(bytes.NewReader(b), testFormat)
		var got []byte
		for {
			r, err := s.Next()
			if err == nil {
				if off := s.Offset(); !bytes.Equal(b[off:off+int64(len(r))], r) {
					t.Fatalf("record at %d is not the input's bytes", off)
				}
				got = append(got, r...)
				continue
			}
			var torn *TornError
			switch {
			case err == io.EOF:
				if len(b) > 0 && s.End() != int64(len(b)) {
					t.Fatalf("EOF at %d of %d bytes", s.End(), len(b))
				}
			case errors.As(err, &torn):
				if torn.Offset != s.End() || torn.Offset+torn.Bytes != int64(len(b)) {
					t.Fatalf("torn tail %+v in %d bytes, end %d", *torn, len(b), s.End())
				}
				for p := torn.Offset + 1; p < int64(len(b)); p++ {
					if n, err := testFormat.Frame(b[p:]); err == nil && n > 0 {
						t.Fatalf("torn tail at %d holds a valid record at %d", torn.Offset, p)
					}
				}
			case !errors.As(err, new(*CorruptError)):
				t.Fatalf("unexpected error %v", err)
			}
			break
		}
		if len(got) > 0 && !bytes.Equal(got, b[4:4+len(got)]) {
			t.Fatal("records are not the input's bytes in order")
		}
	})
}

func TestCut(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	os.WriteFile(path, file(record("dddd")[:7]), 0o600)
	f, _ := os.OpenFile(path, os.O_RDWR, 0)
	defer f.Close()
	_, s, err := scanAll(file(record("dddd")[:7]))
	var torn *TornError
	if !errors.As(err, &torn) {
		t.Fatal(err)
	}
	rec, err := Cut(f, torn, s.Records())
	if err != nil {
		t.Fatal(err)
	}
	want := Recovery{Records: 3, TruncatedRecords: 1, TruncatedBytes: 7, TruncatedAt: 25}
	if rec != want {
		t.Fatalf("%+v; want %+v", rec, want)
	}
	if b, _ := os.ReadFile(path); !bytes.Equal(b, file()) {
		t.Fatalf("file after the cut: %x", b)
	}
	if !strings.Contains(rec.String(), "7 bytes at byte 25") {
		t.Fatalf("report %q does not say what was cut", rec)
	}
}

func TestLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.lock")
	l, err := Acquire(path)
	if err != nil {
		t.Fatal(err)
	}
	var locked *LockedError
	if _, err := Acquire(path); !errors.As(err, &locked) || locked.Holder != os.Getpid() || !strings.Contains(err.Error(), fmt.Sprint(os.Getpid())) {
		t.Fatalf("second writer in the same process: %v; want it refused naming process %d", err, os.Getpid())
	}
	// Another process is refused too, and told this one holds it.
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockHelperProcess$")
	cmd.Env = append(os.Environ(), "TW_RECORDFILE_LOCK="+path)
	out, _ := cmd.CombinedOutput()
	if want := fmt.Sprintf("held by process %d", os.Getpid()); !strings.Contains(string(out), want) {
		t.Fatalf("second process: %s; want %q", out, want)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	l, err = Acquire(path)
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	l.Release()
}

// TestLockHelperProcess is the second process of TestLock.
func TestLockHelperProcess(t *testing.T) {
	path := os.Getenv("TW_RECORDFILE_LOCK")
	if path == "" {
		t.Skip("the second process of TestLock")
	}
	_, err := Acquire(path)
	fmt.Println(err)
}

func TestModes(t *testing.T) {
	tests := []struct {
		mode os.FileMode
		ok   bool
	}{{0o700, true}, {0o755, true}, {0o750, true}, {0o775, false}, {0o757, false}, {0o777, false}, {0o1777, false}}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%04o", tt.mode), func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "d")
			os.Mkdir(dir, 0o700)
			os.Chmod(dir, tt.mode)
			file := filepath.Join(dir, "f")
			os.WriteFile(file, nil, 0o600)
			os.Chmod(file, tt.mode&0o666)
			for _, err := range []error{MkdirAll(dir), func() error {
				f, err := OpenFile(file, os.O_RDWR)
				if err == nil {
					f.Close()
				}
				return err
			}()} {
				var me *ModeError
				if tt.ok != (err == nil) || !tt.ok && (!errors.As(err, &me) || !strings.Contains(err.Error(), "chmod go-w")) {
					t.Fatalf("got %v; want ok=%v or an error saying chmod", err, tt.ok)
				}
			}
		})
	}
}

// TestDirSynced: creating, renaming and removing a file each sync its
// directory. The hook shows that SyncDir is called on the right directory
// after each; that the kernel then makes the entry durable is fsync's
// promise, which no test short of a power cut can show.
func TestDirSynced(t *testing.T) {
	dir := t.TempDir()
	var synced []string
	defer SetSyncDirHook(func(d string) { synced = append(synced, d) })()
	path := filepath.Join(dir, "f")
	steps := []struct {
		name string
		do   func() error
	}{
		{"create", func() error {
			f, err := OpenFile(path, os.O_RDWR)
			if err == nil {
				f.Close()
			}
			return err
		}},
		{"rename", func() error { return Rename(path, path+"2") }},
		{"remove", func() error { return Remove(path + "2") }},
		{"mkdir", func() error { return MkdirAll(filepath.Join(dir, "sub")) }},
	}
	for _, st := range steps {
		synced = nil
		if err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if len(synced) != 1 || synced[0] != dir {
			t.Fatalf("%s synced %q; want %q", st.name, synced, dir)
		}
	}
	// Opening an existing file creates nothing and syncs nothing.
	os.WriteFile(path, nil, 0o600)
	synced = nil
	f, err := OpenFile(path, os.O_RDWR)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if len(synced) != 0 {
		t.Fatalf("opening an existing file synced %q", synced)
	}
}
