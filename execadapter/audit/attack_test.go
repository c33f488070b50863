package audit

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/tinywindow/tinywindow/provider"
	_ "github.com/tinywindow/tinywindow/providers/pqc"
)

// edKey is an Ed25519 provider.Key held in memory.
type edKey struct{ priv ed25519.PrivateKey }

func newEdKey(t testing.TB) *edKey {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &edKey{priv}
}

func (k *edKey) Info() provider.KeyInfo {
	return provider.KeyInfo{ID: provider.KeyIDFromPublic(k.priv.Public().(ed25519.PublicKey)), Algorithm: provider.Ed25519, Backend: "test"}
}
func (k *edKey) Sign(_ context.Context, msg []byte) ([]byte, error) {
	return ed25519.Sign(k.priv, msg), nil
}
func (k *edKey) Verify(_ context.Context, msg, sig []byte) error {
	if !ed25519.Verify(k.priv.Public().(ed25519.PublicKey), msg, sig) {
		return provider.ErrInvalidSignature
	}
	return nil
}
func (k *edKey) Public() crypto.PublicKey { return k.priv.Public() }
func (k *edKey) Close() error             { return nil }

// TestTreeMatchesTlog checks the incremental tree against tlog at every
// size: the root against tlog.TreeHash, the stored hashes against
// tlog.StoredHashes.
func TestTreeMatchesTlog(t *testing.T) {
	var tr tree
	var stored []tlog.Hash
	r := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = stored[x]
		}
		return out, nil
	})
	for n := int64(0); n < 1100; n++ {
		data := []byte(fmt.Sprintf("record %d", n))
		want, err := tlog.StoredHashes(n, data, r)
		if err != nil {
			t.Fatal(err)
		}
		var got []tlog.Hash
		tr.append(tlog.RecordHash(data), func(h tlog.Hash) { got = append(got, h) })
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("leaf %d: stored hashes %v, tlog %v", n, got, want)
		}
		stored = append(stored, want...)
		root, err := tlog.TreeHash(n+1, r)
		if err != nil {
			t.Fatal(err)
		}
		if tr.root() != root {
			t.Fatalf("size %d: root %v, tlog %v", n+1, tr.root(), root)
		}
	}
}

// TestCheckpointNote: the signed note is what note.Sign makes, an Ed25519
// checkpoint opens with the standard note verifier, and every line of the
// text is signed.
func TestCheckpointNote(t *testing.T) {
	hk, _ := key(t, 42)
	ek := newEdKey(t)
	c := Checkpoint{Origin: "example.com/log", Tree: tlog.Tree{N: 123, Hash: tlog.RecordHash([]byte("x"))}, Time: 1700000000123456789}
	for _, k := range []provider.Key{hk, ek} {
		t.Run(string(k.Info().Algorithm), func(t *testing.T) {
			nk, err := newNoteKey(context.Background(), c.Origin, k.Info(), k)
			if err != nil {
				t.Fatal(err)
			}
			msg, _, err := appendSignedCheckpoint(context.Background(), nil, nil, c, nk, 0, nil)
			if err != nil {
				t.Fatal(err)
			}
			want, err := note.Sign(&note.Note{Text: c.Text()}, nk)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(msg, want) {
				t.Fatalf("signed note\n%s\nnote.Sign\n%s", msg, want)
			}
			vs, _ := CheckpointVerifiers(c.Origin, []provider.Verifier{k})
			if _, got, err := openCheckpoint(msg, vs); err != nil || got != c {
				t.Fatalf("open: %v %+v", err, got)
			}
			if k == provider.Key(ek) {
				vkey, err := CheckpointVerifierKey(c.Origin, ek)
				if err != nil {
					t.Fatal(err)
				}
				v, err := note.NewVerifier(vkey)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := note.Open(msg, note.VerifierList(v)); err != nil {
					t.Fatalf("standard verifier: %v", err)
				}
			}
			// Change any line of the text: the signature no longer holds.
			text := c.Text()
			for i := range strings.Count(text, "\n") {
				lines := strings.Split(string(msg), "\n")
				lines[i] += "0"
				if i == 2 {
					lines[i] = strings.Replace(lines[i], "A", "B", 1)
				}
				_, _, err := openCheckpoint([]byte(strings.Join(lines, "\n")), vs)
				if err == nil {
					t.Fatalf("line %d changed: still opens", i+1)
				}
			}
		})
	}
}

// copyLog copies a log and, if ck, its checkpoints file to a new path.
func copyLog(t *testing.T, b []byte, ckSrc string, name string) string {
	t.Helper()
	if scratch[t.Name()] == "" {
		scratch[t.Name()] = t.TempDir()
	}
	path := filepath.Join(scratch[t.Name()], name)
	os.Remove(path + ".checkpoints")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if ckSrc != "" {
		ck, err := os.ReadFile(ckSrc)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(path+".checkpoints", ck, 0o600)
	}
	return path
}

// scratch is a directory per test for copyLog.
var scratch = map[string]string{}

// openMustRefuse opens path with a writer and expects ErrCorrupt with the
// file left byte for byte as it was.
func openMustRefuse(t *testing.T, path string) error {
	t.Helper()
	before, _ := os.ReadFile(path)
	k, _ := key(t, 42)
	w, _, err := Open(path, Options{Signer: k, Durability: Always})
	if err == nil {
		w.Close()
		t.Fatalf("Open accepted the log")
	}
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Open: %v; want ErrCorrupt", err)
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Fatalf("Open changed a log it refused")
	}
	return err
}

// TestOpenRefusesEveryFlip: every single-bit change of a closed log makes
// the writer refuse it, leaving it untouched; none is taken for a torn tail.
func TestOpenRefusesEveryFlip(t *testing.T) {
	orig := writeLog(t, filepath.Join(t.TempDir(), "a.log"), Always, 4)
	for off := range orig {
		for _, mask := range []byte{0x01, 0x80} {
			b := bytes.Clone(orig)
			b[off] ^= mask
			path := copyLog(t, b, "", "flip.log")
			openMustRefuse(t, path)
		}
	}
}

// bigLog writes a log of n notes with several checkpoints and returns its
// path and bytes.
func bigLog(t *testing.T, n int) (string, []byte) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "big.log")
	k, _ := key(t, 42)
	w, _, err := Open(path, Options{Signer: k, Durability: Batch, CheckpointEvery: 500})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if err := w.Append(TypeNote, int64(i+1), []byte("note "+strconv.Itoa(i))); err != nil {
			t.Fatal(err)
		}
		if i%100 == 99 {
			w.Sync()
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	return path, b
}

// TestLengthFieldInTheMiddle sets one record's length field, well before
// the end, to a value that reaches past the end of the file: that is
// corruption, not a torn tail. Verify names the record; a writer refuses
// the log and leaves it as it is.
func TestLengthFieldInTheMiddle(t *testing.T) {
	src, orig := bigLog(t, 3000)
	_, recs := splitRecords(orig)
	for _, i := range []int{len(recs) / 2, len(recs) - 200, len(recs) - 3, len(recs) - 1} {
		t.Run(strconv.Itoa(i+1), func(t *testing.T) {
			b := bytes.Clone(orig)
			off := len(Magic)
			for _, r := range recs[:i] {
				off += len(r)
			}
			rest := len(b) - off
			for _, l := range []int{rest, rest + 1, MaxRecord} {
				if l-lenSize-HashSize+1 > MaxRecord || l < minTotal {
					continue
				}
				b[off], b[off+1], b[off+2], b[off+3] = byte(l>>24), byte(l>>16), byte(l>>8), byte(l)
				_, err := verifyBytes(t, b)
				var bad *BadRecordError
				if !errors.As(err, &bad) || bad.Record != uint64(i+1) {
					t.Fatalf("length %d: verify: %v; want record %d named", l, err, i+1)
				}
				for _, ck := range []string{"", src + ".checkpoints"} {
					openMustRefuse(t, copyLog(t, b, ck, "len.log"))
				}
			}
		})
	}
}

// TestTruncateAtEveryBoundary cuts a log at every record boundary. With
// its checkpoints file, every cut is caught by Verify and refused by
// Open; without it, Verify catches every cut that does not end with a
// checkpoint covering all before it (the cuts a log cannot see alone).
func TestTruncateAtEveryBoundary(t *testing.T) {
	src := filepath.Join(t.TempDir(), "a.log")
	orig := writeLog(t, src, Batch, 30)
	ck, err := ReadCheckpoints(src + ".checkpoints")
	if err != nil {
		t.Fatal(err)
	}
	_, r := key(t, 42)
	_, recs := splitRecords(orig)
	off := len(Magic)
	unseen := 0
	last, err := latestCheckpoint(src + ".checkpoints")
	if err != nil {
		t.Fatal(err)
	}
	maxN := last.N
	for i, rec := range recs[:len(recs)-1] {
		off += len(rec)
		b := orig[:off]
		_, err := Verify(context.Background(), bytes.NewReader(b), VerifyOptions{Keys: r, Checkpoints: ck})
		if !errors.Is(err, ErrCorrupt) {
			t.Fatalf("cut after record %d, with checkpoints: %v", i+1, err)
		}
		if _, err := Verify(context.Background(), bytes.NewReader(b), VerifyOptions{Keys: r}); err == nil {
			unseen++
			if Type(rec[lenSize]) != TypeCheckpoint {
				t.Fatalf("cut after record %d (not a checkpoint) verifies", i+1)
			}
		}
		if int64(i+1) < maxN {
			openMustRefuse(t, copyLog(t, b, src+".checkpoints", "cut.log"))
		}
	}
	t.Logf("%d of %d cuts verify without the checkpoints file", unseen, len(recs)-1)
	if _, err := Verify(context.Background(), bytes.NewReader(orig), VerifyOptions{Keys: r, Checkpoints: ck}); err != nil {
		t.Fatal(err)
	}
}

// TestTornTailWithCheckpointsFile cuts the log inside its last records,
// with its checkpoints file: the final checkpoint record (not covered by
// any checkpoint) may be recovered, a record a checkpoint covers may not.
func TestTornTailWithCheckpointsFile(t *testing.T) {
	src := filepath.Join(t.TempDir(), "a.log")
	orig := writeLog(t, src, Always, 4)
	_, recs := splitRecords(orig)
	last, prev := len(recs[len(recs)-1]), len(recs[len(recs)-2])
	k, r := key(t, 42)
	for cut := len(orig) - last - prev + 1; cut < len(orig); cut++ {
		path := copyLog(t, orig[:cut], src+".checkpoints", "torn.log")
		if cut < len(orig)-last {
			err := openMustRefuse(t, path)
			if !strings.Contains(err.Error(), "covers it") {
				t.Fatalf("cut at %d: %v", cut, err)
			}
			continue
		}
		if cut == len(orig)-last {
			continue // a record boundary
		}
		w, rec, err := Open(path, Options{Signer: k, Durability: Always})
		if err != nil {
			t.Fatalf("cut at %d: %v", cut, err)
		}
		if rec.TruncatedRecords != 1 || rec.TruncatedBytes != int64(cut-(len(orig)-last)) {
			t.Fatalf("cut at %d: %+v", cut, rec)
		}
		w.Close()
		ck, _ := ReadCheckpoints(path + ".checkpoints")
		if _, err := verifyPath(path, VerifyOptions{Keys: r, Checkpoints: ck}); err != nil {
			t.Fatalf("cut at %d: %v", cut, err)
		}
	}
}

func verifyPath(path string, opts VerifyOptions) (*Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Verify(context.Background(), f, opts)
}

// lastRecordEdit rewrites the final checkpoint record with edit and
// recomputes its leaf hash, as one without the key can.
func lastRecordEdit(b []byte, edit func(body []byte) []byte) []byte {
	head, recs := splitRecords(b)
	out := bytes.Clone(head)
	for i, r := range recs {
		if i == len(recs)-1 {
			r = rehash(edit(bytes.Clone(r[:len(r)-HashSize])))
		}
		out = append(out, r...)
	}
	return out
}

// TestCheckpointFieldsSigned changes each part of the final checkpoint
// without the key and recomputes the record's leaf hash: each is caught.
func TestCheckpointFieldsSigned(t *testing.T) {
	orig := writeLog(t, filepath.Join(t.TempDir(), "a.log"), Always, 4)
	edits := map[string]func([]byte) []byte{
		"record time": func(b []byte) []byte { b[lenSize+1+8+7]++; return b },
		"note time": func(b []byte) []byte {
			return bytes.Replace(b, []byte("\ntime "), []byte("\ntime 1"), 1)
		},
		"note size": func(b []byte) []byte {
			i := bytes.IndexByte(b[lenSize+headSize:], '\n') + lenSize + headSize + 1
			b[i]++
			return b
		},
		"note origin": func(b []byte) []byte { b[lenSize+headSize+5]++; return b },
		"signature":   func(b []byte) []byte { b[len(b)-10] ^= 1; return b },
	}
	for name, edit := range edits {
		t.Run(name, func(t *testing.T) {
			_, err := verifyBytes(t, lastRecordEdit(orig, edit))
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, provider.ErrKeyNotFound) {
				t.Fatalf("got %v", err)
			}
			var bad *BadRecordError
			if errors.As(err, &bad) && bad.Record != uint64(len(splitRecordsN(orig))) {
				t.Fatalf("names record %d: %v", bad.Record, err)
			}
		})
	}
}

func splitRecordsN(b []byte) [][]byte { _, r := splitRecords(b); return r }

// TestReplayAndForeignCheckpoints: an older checkpoint appended again, a
// checkpoint of another log in the log or in its checkpoints file.
func TestReplayAndForeignCheckpoints(t *testing.T) {
	dir := t.TempDir()
	a := writeLog(t, filepath.Join(dir, "a.log"), Always, 6)
	b := writeLog(t, filepath.Join(dir, "b.log"), Always, 6)
	_, ra := splitRecords(a)
	_, rb := splitRecords(b)
	firstCP := func(recs [][]byte) []byte {
		for _, r := range recs {
			if Type(r[lenSize]) == TypeCheckpoint {
				return r
			}
		}
		return nil
	}
	// As the next record, with the right sequence number and leaf hash.
	appendAs := func(log []byte, n int, rec []byte) []byte {
		body := bytes.Clone(rec[:len(rec)-HashSize])
		for i := range 8 {
			body[lenSize+1+i] = byte(uint64(n) >> (56 - 8*i))
		}
		return append(bytes.Clone(log), rehash(body)...)
	}
	cases := map[string][]byte{
		"older checkpoint replayed": appendAs(a, len(ra)+1, firstCP(ra)),
		"other log's checkpoint":    appendAs(a, len(ra)+1, rb[len(rb)-1]),
	}
	for name, log := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := verifyBytes(t, log)
			var bad *BadRecordError
			if !errors.As(err, &bad) || bad.Record != uint64(len(ra)+1) {
				t.Fatalf("got %v", err)
			}
		})
	}
	_, r := key(t, 42)
	ckb, _ := ReadCheckpoints(filepath.Join(dir, "b.log.checkpoints"))
	if _, err := Verify(context.Background(), bytes.NewReader(a), VerifyOptions{Keys: r, Checkpoints: ckb}); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("checkpoints of another log: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "a.log.checkpoints"), bytes.Join(ckb, []byte("\n")), 0o600)
	err := openMustRefuse(t, filepath.Join(dir, "a.log"))
	t.Log(err)
}

// TestProve proves every record of a log and checks each proof offline;
// a changed proof fails.
func TestProve(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.log")
	writeLog(t, path, Batch, 40)
	_, recs := splitRecords(mustRead(t, path))
	k, _ := key(t, 42)
	for n := uint64(1); n < uint64(len(recs)); n++ {
		p, err := Prove(path, n)
		if err != nil {
			t.Fatalf("record %d: %v", n, err)
		}
		q, err := ParseProof(p.Marshal())
		if err != nil {
			t.Fatal(err)
		}
		vs, _ := CheckpointVerifiers(CheckpointOrigin(q.Checkpoint), []provider.Verifier{k})
		rec, _, err := q.Check(vs)
		if err != nil || rec.Seq != n {
			t.Fatalf("record %d: %v", n, err)
		}
		if len(q.Hashes) > 0 {
			q.Hashes[0][0] ^= 1
			if _, _, err := q.Check(vs); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("changed proof: %v", err)
			}
		}
		q, _ = ParseProof(p.Marshal())
		q.Record[len(q.Record)-1] ^= 1
		if _, _, err := q.Check(vs); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("changed record: %v", err)
		}
	}
	if _, err := Prove(path, uint64(len(recs))); err == nil {
		t.Fatal("the final checkpoint record is proved by no checkpoint")
	}
}

func mustRead(t *testing.T, path string) []byte {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// slowSigner blocks in Sign until released or its context ends.
type slowSigner struct {
	provider.Key
	mu      sync.Mutex
	release chan struct{}
}

func (s *slowSigner) Sign(ctx context.Context, msg []byte) ([]byte, error) {
	s.mu.Lock()
	ch := s.release
	s.mu.Unlock()
	if ch != nil {
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return s.Key.Sign(ctx, msg)
}

// TestSlowSignerDoesNotBlockAppend: while the checkpoint key hangs, Append
// and Sync go on; the hung signatures time out and are counted; when the
// key answers again the log checkpoints and verifies.
func TestSlowSignerDoesNotBlockAppend(t *testing.T) {
	k, r := key(t, 42)
	s := &slowSigner{Key: k}
	path := filepath.Join(t.TempDir(), "a.log")
	w, _, err := Open(path, Options{Signer: s, Durability: Always, CheckpointEvery: 10, CheckpointTimeout: 50 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	s.release = make(chan struct{})
	s.mu.Unlock()
	for i := range 200 {
		if err := w.Append(TypeNote, int64(i), []byte("n")); err != nil {
			t.Fatal(err)
		}
	}
	for w.Stats().CheckpointFailures == 0 {
		w.Append(TypeNote, 1, []byte("n"))
		time.Sleep(10 * time.Millisecond)
	}
	if w.Durable() < 200 {
		t.Fatalf("durable %d", w.Durable())
	}
	s.mu.Lock()
	close(s.release)
	s.release = nil
	s.mu.Unlock()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyFile(context.Background(), path, r); err != nil {
		t.Fatal(err)
	}
}

// TestTornCheckpointsFile: a checkpoints file whose last note was cut short
// by a crash does not stop the writer, and Verify reads the notes before it.
func TestTornCheckpointsFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.log")
	writeLog(t, path, Always, 5)
	ck := mustRead(t, path+".checkpoints")
	for _, cut := range []int{10, 60} {
		os.WriteFile(path+".checkpoints", ck[:len(ck)-cut], 0o600)
		k, r := key(t, 42)
		w, _, err := Open(path, Options{Signer: k, Durability: Always})
		if err != nil {
			t.Fatalf("cut %d: %v", cut, err)
		}
		w.Close()
		cks, err := ReadCheckpoints(path + ".checkpoints")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := verifyPath(path, VerifyOptions{Keys: r, Checkpoints: cks}); err != nil {
			t.Fatalf("cut %d: %v", cut, err)
		}
	}
}

// TestOtherKeyTypes writes, verifies and proves a log whose checkpoints are
// signed by an ML-DSA-65 key (signature type 0xff): not only HMAC and
// Ed25519 sign checkpoints.
func TestOtherKeyTypes(t *testing.T) {
	dir := t.TempDir()
	seed := filepath.Join(dir, "seed")
	b := make([]byte, 32)
	rand.Read(b)
	os.WriteFile(seed, []byte(fmt.Sprintf("%x", b)), 0o600)
	k, err := provider.Open(context.Background(), "pqc:alg=ML-DSA-65;seed-source=file:"+seed)
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	path := filepath.Join(dir, "a.log")
	w, _, err := Open(path, Options{Signer: k})
	if err != nil {
		t.Fatal(err)
	}
	w.Append(TypeNote, 1, []byte("x"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	ck, _ := ReadCheckpoints(path + ".checkpoints")
	if _, err := verifyPath(path, VerifyOptions{Keys: keyringOf(t, k), Checkpoints: ck}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(ck[0], []byte("\n\u2014 ")) {
		t.Fatalf("not a signed note: %q", ck[0])
	}
	p, err := Prove(path, 2)
	if err != nil {
		t.Fatal(err)
	}
	vs, _ := CheckpointVerifiers(CheckpointOrigin(p.Checkpoint), []provider.Verifier{k})
	if _, _, err := p.Check(vs); err != nil {
		t.Fatal(err)
	}
	if _, err := CheckpointVerifierKey(w.Origin(), k); err == nil {
		t.Fatal("an ML-DSA key has no standard note verifier key")
	}
}

func TestOriginFixed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.log")
	k, _ := key(t, 42)
	w, _, err := Open(path, Options{Signer: k, Origin: "example.com/a"})
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	if _, _, err := Open(path, Options{Signer: k, Origin: "example.com/b"}); !errors.Is(err, provider.ErrInvalidConfig) {
		t.Fatalf("another origin: %v", err)
	}
	w, _, err = Open(path, Options{Signer: k})
	if err != nil || w.Origin() != "example.com/a" {
		t.Fatalf("default origin: %v %q", err, w.Origin())
	}
	w.Close()
}

func TestAppendRefusesWriterTypes(t *testing.T) {
	k, _ := key(t, 42)
	w, _, err := Open(filepath.Join(t.TempDir(), "a.log"), Options{Signer: k})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for _, typ := range []Type{TypeCheckpoint, TypeRecovery, 0, TypeKill + 1} {
		if err := w.Append(typ, 1, []byte("x")); !errors.Is(err, provider.ErrInvalidConfig) {
			t.Errorf("type %v: %v", typ, err)
		}
	}
}

// TestOpenChecksCheckpointRoots: a record changed with its leaf hash
// recomputed is refused by Open, without a checkpoints file, because a
// later checkpoint's root no longer matches.
func TestOpenChecksCheckpointRoots(t *testing.T) {
	orig := writeLog(t, filepath.Join(t.TempDir(), "a.log"), Always, 6)
	head, recs := splitRecords(orig)
	for i := range recs[:len(recs)-1] {
		out := bytes.Clone(head)
		for j, r := range recs {
			if j == i {
				body := bytes.Clone(r[:len(r)-HashSize])
				body[len(body)-1] ^= 1
				r = rehash(body)
			}
			out = append(out, r...)
		}
		err := openMustRefuse(t, copyLog(t, out, "", "roots.log"))
		var bad *BadRecordError
		if !errors.As(err, &bad) || Type(recs[bad.Record-1][lenSize]) != TypeCheckpoint {
			t.Fatalf("record %d changed: %v", i+1, err)
		}
	}
}
