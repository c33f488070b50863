package audit

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tinywindow/tinywindow/internal/testenv"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/hmac"
)

func key(t testing.TB, seed uint64) (*hmac.Key, *provider.Keyring) {
	t.Helper()
	k := hmac.NewFromSeed(seed)
	r, err := provider.NewKeyring(k)
	if err != nil {
		t.Fatal(err)
	}
	return k, r
}

// writeLog writes a small log of n notes and returns its bytes.
func writeLog(t testing.TB, path string, d Durability, n int) []byte {
	t.Helper()
	k, _ := key(t, 42)
	w, _, err := Open(path, Options{Signer: k, Durability: d, CheckpointEvery: 3})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if err := w.Append(TypeNote, int64(i+1), []byte("note "), []byte(strconv.Itoa(i))); err != nil {
			t.Fatal(err)
		}
		if i%4 == 3 {
			if err := w.Sync(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func verifyBytes(t testing.TB, b []byte) (*Report, error) {
	t.Helper()
	_, r := key(t, 42)
	return Verify(context.Background(), bytes.NewReader(b), VerifyOptions{Keys: r})
}

func TestRoundTrip(t *testing.T) {
	for _, d := range []Durability{Always, Batch} {
		t.Run(d.String(), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "audit.log")
			writeLog(t, path, d, 10)
			// Reopen and append more: the chain continues.
			k, r := key(t, 42)
			w, rec, err := Open(path, Options{Signer: k, Durability: d})
			if err != nil {
				t.Fatal(err)
			}
			if rec.TruncatedBytes != 0 || rec.Records == 0 {
				t.Fatalf("recovery %+v", rec)
			}
			if err := w.Append(TypeNote, 1, []byte("again")); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if err := w.Append(TypeNote, 1, nil); !errors.Is(err, ErrClosed) {
				t.Fatalf("append after close: %v", err)
			}
			rep, err := VerifyFile(context.Background(), path, r)
			if err != nil {
				t.Fatal(err)
			}
			if rep.ByType[TypeNote] != 11 || rep.ByType[TypeOpen] != 2 || rep.Checkpoints < 3 {
				t.Fatalf("report %+v", rep)
			}
		})
	}
}

// recordAt returns the number of the record holding byte off (0: header).
func recordAt(t *testing.T, b []byte, off int) uint64 {
	if off < len(Magic) {
		return 0
	}
	pos, n := len(Magic), uint64(0)
	for pos < len(b) {
		n++
		l := int(b[pos])<<24 | int(b[pos+1])<<16 | int(b[pos+2])<<8 | int(b[pos+3])
		end := pos + lenSize + l + HashSize
		if off < end {
			return n
		}
		pos = end
	}
	t.Fatalf("offset %d is past the log", off)
	return 0
}

// TestFlipEveryByte flips each byte of a small log in turn: every flip must
// be found, and the error must name the record that holds the byte.
func TestFlipEveryByte(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	orig := writeLog(t, path, Always, 6)
	if _, err := verifyBytes(t, orig); err != nil {
		t.Fatalf("intact log: %v", err)
	}
	for off := range orig {
		for _, mask := range []byte{0x01, 0x80} {
			b := bytes.Clone(orig)
			b[off] ^= mask
			_, err := verifyBytes(t, b)
			var bad *BadRecordError
			if !errors.As(err, &bad) || !errors.Is(err, ErrCorrupt) {
				t.Fatalf("flip 0x%02x at byte %d: got %v; want a BadRecordError", mask, off, err)
			}
			if want := recordAt(t, orig, off); bad.Record != want {
				t.Fatalf("flip at byte %d: error names record %d, want %d: %v", off, bad.Record, want, err)
			}
		}
	}
}

func splitRecords(b []byte) (head []byte, recs [][]byte) {
	pos := len(Magic)
	for pos < len(b) {
		l := int(b[pos])<<24 | int(b[pos+1])<<16 | int(b[pos+2])<<8 | int(b[pos+3])
		end := pos + lenSize + l + HashSize
		recs = append(recs, b[pos:end])
		pos = end
	}
	return b[:len(Magic)], recs
}

func TestRemoveReorderInsertTruncate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	orig := writeLog(t, path, Always, 6)
	head, recs := splitRecords(orig)
	join := func(rs ...[]byte) []byte { return bytes.Join(append([][]byte{head}, rs...), nil) }
	cut := func(i int) [][]byte { return append(append([][]byte{}, recs[:i]...), recs[i+1:]...) }
	swapped := append([][]byte{}, recs...)
	swapped[2], swapped[3] = swapped[3], swapped[2]
	inserted := append(append(append([][]byte{}, recs[:3]...), recs[1]), recs[3:]...)
	tests := []struct {
		name string
		b    []byte
		rec  uint64
	}{
		{"remove record 3", join(cut(2)...), 3},
		{"remove first", join(cut(0)...), 1},
		{"swap 3 and 4", join(swapped...), 3},
		{"insert copy of 2", join(inserted...), 4},
		{"cut mid-record", orig[:len(orig)-10], uint64(len(recs))},
		{"empty", nil, 0},
		{"header only", head, 1},
		{"not a log", []byte("hello, world"), 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := verifyBytes(t, tc.b)
			var bad *BadRecordError
			if !errors.As(err, &bad) || bad.Record != tc.rec {
				t.Fatalf("got %v; want bad record %d", err, tc.rec)
			}
		})
	}
}

func TestWrongKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	orig := writeLog(t, path, Batch, 3)
	_, other := key(t, 7)
	_, err := Verify(context.Background(), bytes.NewReader(orig), VerifyOptions{Keys: other})
	if !errors.Is(err, provider.ErrKeyNotFound) || errors.Is(err, ErrCorrupt) {
		t.Fatalf("got %v; want ErrKeyNotFound, not ErrCorrupt", err)
	}
	// A forged checkpoint: the right key name and ID, another signature.
	head, recs := splitRecords(orig)
	b := bytes.Clone(head)
	for _, r := range recs {
		body := bytes.Clone(r[:len(r)-HashSize])
		if Type(body[4]) == TypeCheckpoint {
			sig, _ := hmac.NewFromSeed(7).Sign(context.Background(), body)
			i := bytes.LastIndex(body, []byte(" "))
			raw, _ := base64.StdEncoding.DecodeString(strings.TrimSpace(string(body[i+1:])))
			body = append(body[:i+1], base64.StdEncoding.EncodeToString(append(raw[:4], sig...))+"\n"...)
		}
		b = append(b, rehash(body)...)
	}
	_, err = verifyBytes(t, b)
	var bad *BadRecordError
	if !errors.As(err, &bad) || !errors.Is(err, provider.ErrInvalidSignature) {
		t.Fatalf("forged checkpoint: %v", err)
	}
}

// rehash sets the length of a record (length to payload) and appends its
// leaf hash, as a forger who does not hold the key would.
func rehash(body []byte) []byte {
	body = bytes.Clone(body)
	binary.BigEndian.PutUint32(body, uint32(len(body)-lenSize))
	h := tlog.RecordHash(body)
	return append(body, h[:]...)
}

// TestTornTail cuts the log at every byte of its last records and reopens
// it: the writer truncates the cut record, says so, and the log verifies.
func TestTornTail(t *testing.T) {
	dir := t.TempDir()
	orig := writeLog(t, filepath.Join(dir, "orig.log"), Always, 4)
	_, recs := splitRecords(orig)
	last := recs[len(recs)-1]
	start := len(orig) - len(last) - len(recs[len(recs)-2])
	k, r := key(t, 42)
	for cut := start; cut < len(orig); cut++ {
		path := filepath.Join(dir, fmt.Sprintf("cut-%d.log", cut))
		if err := os.WriteFile(path, orig[:cut], 0o600); err != nil {
			t.Fatal(err)
		}
		w, rec, err := Open(path, Options{Signer: k, Durability: Always})
		if err != nil {
			t.Fatalf("cut at %d: %v", cut, err)
		}
		boundary := cut == start || cut == len(orig)-len(last)
		if boundary != (rec.TruncatedBytes == 0) {
			t.Fatalf("cut at %d: recovery %+v", cut, rec)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		rep, err := VerifyFile(context.Background(), path, r)
		if err != nil {
			t.Fatalf("cut at %d: %v", cut, err)
		}
		if !boundary && rep.Recoveries != 1 {
			t.Fatalf("cut at %d: %d recovery records", cut, rep.Recoveries)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	k, _ := key(t, 42)
	dir := t.TempDir()
	t.Run("corrupt middle is left alone", func(t *testing.T) {
		path := filepath.Join(dir, "corrupt.log")
		b := writeLog(t, path, Always, 5)
		b[len(Magic)+30] ^= 1
		os.WriteFile(path, b, 0o600)
		_, _, err := Open(path, Options{Signer: k})
		if !errors.Is(err, ErrCorrupt) {
			t.Fatalf("got %v", err)
		}
		after, _ := os.ReadFile(path)
		if !bytes.Equal(after, b) {
			t.Fatal("Open changed a corrupt log")
		}
	})
	t.Run("not a log", func(t *testing.T) {
		path := filepath.Join(dir, "notes.txt")
		os.WriteFile(path, []byte("shopping list\n"), 0o600)
		if _, _, err := Open(path, Options{Signer: k}); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("missing directory", func(t *testing.T) {
		_, _, err := Open(filepath.Join(dir, "no", "such", "audit.log"), Options{Signer: k})
		if !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("missing file is created", func(t *testing.T) {
		w, _, err := Open(filepath.Join(dir, "new.log"), Options{Signer: k})
		if err != nil {
			t.Fatal(err)
		}
		w.Close()
	})
	t.Run("read-only descriptor", func(t *testing.T) {
		path := filepath.Join(dir, "ro.log")
		writeLog(t, path, Always, 2)
		ro := func(p string) (File, error) { return os.OpenFile(p, os.O_RDONLY, 0) }
		_, _, err := Open(path, Options{Signer: k, OpenFile: ro})
		if !errors.Is(err, ErrNotDurable) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("read-only file", func(t *testing.T) {
		if os.Geteuid() == 0 {
			t.Skip("root ignores file modes; the read-only descriptor case covers the write failure")
		}
		path := filepath.Join(dir, "ro2.log")
		writeLog(t, path, Always, 2)
		os.Chmod(path, 0o400)
		if _, _, err := Open(path, Options{Signer: k}); !errors.Is(err, os.ErrPermission) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("no signer", func(t *testing.T) {
		if _, _, err := Open(filepath.Join(dir, "x.log"), Options{}); !errors.Is(err, provider.ErrInvalidConfig) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("verify missing file", func(t *testing.T) {
		_, r := key(t, 42)
		_, err := VerifyFile(context.Background(), filepath.Join(dir, "absent.log"), r)
		if !errors.Is(err, os.ErrNotExist) || errors.Is(err, ErrCorrupt) {
			t.Fatalf("got %v", err)
		}
	})
}

// fullDisk is a real file that runs out of space after a number of bytes.
type fullDisk struct {
	*os.File
	left int
}

func (f *fullDisk) Write(b []byte) (int, error) {
	if len(b) <= f.left {
		f.left -= len(b)
		return f.File.Write(b)
	}
	n, _ := f.File.Write(b[:f.left])
	f.left = 0
	return n, &os.PathError{Op: "write", Path: f.Name(), Err: syscall.ENOSPC}
}

func TestFullDiskAlways(t *testing.T) {
	k, r := key(t, 42)
	path := filepath.Join(t.TempDir(), "audit.log")
	open := func(p string) (File, error) {
		f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o600)
		return &fullDisk{File: f, left: 2000}, err
	}
	w, _, err := Open(path, Options{Signer: k, Durability: Always, OpenFile: open})
	if err != nil {
		t.Fatal(err)
	}
	var acked uint64
	var failed error
	for i := range 100 {
		if err := w.Append(TypeNote, 1, bytes.Repeat([]byte{'x'}, 50), []byte(strconv.Itoa(i))); err != nil {
			failed = err
			break
		}
		acked = w.Seq()
	}
	if !errors.Is(failed, ErrNotDurable) || !errors.Is(failed, syscall.ENOSPC) {
		t.Fatalf("got %v; want ErrNotDurable wrapping ENOSPC", failed)
	}
	if err := w.Append(TypeNote, 1, []byte("later")); !errors.Is(err, ErrNotDurable) {
		t.Fatalf("error is not sticky: %v", err)
	}
	if w.Durable() != acked {
		t.Fatalf("durable %d, acked %d", w.Durable(), acked)
	}
	w.Close()
	// Space comes back: reopening truncates the partial record and keeps
	// every acknowledged one.
	w, rec, err := Open(path, Options{Signer: k, Durability: Always})
	if err != nil {
		t.Fatal(err)
	}
	if rec.TruncatedBytes == 0 || rec.Records < acked {
		t.Fatalf("recovery %+v, acked %d", rec, acked)
	}
	w.Close()
	if _, err := VerifyFile(context.Background(), path, r); err != nil {
		t.Fatal(err)
	}
}

func TestAppendDoesNotAllocate(t *testing.T) {
	testenv.SkipAllocations(t)
	k, _ := key(t, 42)
	w, _, err := Open(filepath.Join(t.TempDir(), "a.log"), Options{Signer: k, Durability: Batch})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	p := bytes.Repeat([]byte{1}, 100)
	for range 10000 {
		w.Append(TypeNote, 1, p)
	}
	if n := testing.AllocsPerRun(10000, func() { w.Append(TypeNote, 1, p, p) }); n > 0.01 {
		t.Fatalf("Append allocates %v times", n)
	}
}

const crashEnv = "TW_AUDIT_CRASH_WRITER"

func TestMain(m *testing.M) {
	if spec := os.Getenv(crashEnv); spec != "" {
		crashWriter(spec)
		return
	}
	if path := os.Getenv(secondWriterEnv); path != "" {
		secondWriter(path)
		return
	}
	os.Exit(m.Run())
}

// crashWriter appends notes forever, printing each one's number once Append
// has returned, until it is killed.
func crashWriter(spec string) {
	mode, path, _ := strings.Cut(spec, ":")
	d, _ := ParseDurability(mode)
	w, _, err := Open(path, Options{Signer: hmac.NewFromSeed(42), Durability: d, BatchInterval: time.Millisecond,
		CheckpointEvery: 50, CheckpointInterval: 5 * time.Millisecond})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	pad := bytes.Repeat([]byte{'p'}, 3000)
	for i := 0; ; i++ {
		if err := w.Append(TypeNote, 1, []byte(fmt.Sprintf("n=%d;", i)), pad); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
		fmt.Fprintln(os.Stdout, i)
	}
}

// TestCrashRecovery kills a writer process with SIGKILL in the middle of
// writing, then reopens the log: the torn tail (if any) is truncated, the
// log verifies, and in Always mode every note the writer acknowledged is
// there.
func TestCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a writer process")
	}
	for _, mode := range []string{"always", "batch"} {
		t.Run(mode, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "audit.log")
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), crashEnv+"="+mode+":"+path)
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			sc := bufio.NewScanner(out)
			acked, want := -1, 300
			if mode == "batch" {
				want = 5000
			}
			for sc.Scan() {
				acked, _ = strconv.Atoi(sc.Text())
				if acked >= want {
					break
				}
			}
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, out)
			cmd.Wait()
			if acked < want {
				t.Fatalf("writer stopped after %d notes: %s", acked, stderr.String())
			}
			k, r := key(t, 42)
			anchor, err := latestCheckpoint(path + ".checkpoints")
			if err != nil {
				t.Fatal(err)
			}
			w, rec, err := Open(path, Options{Signer: k, Durability: Always})
			if err != nil {
				t.Fatalf("recovery: %v", err)
			}
			t.Logf("recovered %d records, truncated %d records (%d bytes); the checkpoints file covered %d", rec.Records, rec.TruncatedRecords, rec.TruncatedBytes, anchor.N)
			if int64(rec.Records) < anchor.N {
				t.Fatalf("recovery kept %d records, but checkpoint %d covers more", rec.Records, anchor.N)
			}
			w.Close()
			ck, err := ReadCheckpoints(path + ".checkpoints")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := verifyPath(path, VerifyOptions{Keys: r, Checkpoints: ck}); err != nil {
				t.Fatalf("recovered log against its checkpoints file: %v", err)
			}
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if _, err := Verify(context.Background(), f, VerifyOptions{Keys: r}); err != nil {
				t.Fatal(err)
			}
			f.Seek(0, io.SeekStart)
			s, _ := newScanner(f)
			seen := map[int]bool{}
			for {
				rec, err := s.next()
				if err != nil {
					break
				}
				if rec.Type == TypeNote {
					n, _, _ := strings.Cut(strings.TrimPrefix(string(rec.Payload), "n="), ";")
					i, _ := strconv.Atoi(n)
					seen[i] = true
				}
			}
			if mode == "always" {
				for i := 0; i <= acked; i++ {
					if !seen[i] {
						t.Fatalf("note %d was acknowledged but is not in the recovered log", i)
					}
				}
			}
		})
	}
}
