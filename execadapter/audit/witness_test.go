package audit

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/tinywindow/tinywindow/internal/litewitness"
	"github.com/tinywindow/tinywindow/provider"
)

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for range 1000 {
		if cond() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

// TestWitness runs the writer against a real litewitness: checkpoints are
// cosigned over C2SP tlog-witness, with consistency proofs from the size
// the witness knows; a witness that is down never stops Append, and the
// latest checkpoint is cosigned when it is back; a fork of the log is
// never cosigned; Verify requires the cosignatures.
func TestWitness(t *testing.T) {
	lw := litewitness.New(t)
	ek := newEdKey(t)
	origin := "example.com/tinywindow/audit-test"
	logVkey, err := CheckpointVerifierKey(origin, ek)
	if err != nil {
		t.Fatal(err)
	}
	lw.AddLog(origin, logVkey)
	lw.Start()
	waitFor(t, "litewitness's verifier key line", func() bool { return lw.LoggedVerifierKey() != "" })
	if got := lw.LoggedVerifierKey(); got != lw.VerifierKey {
		t.Fatalf("litewitness's verifier key %q, computed %q", got, lw.VerifierKey)
	}
	wv, err := ParseWitnessKey(lw.VerifierKey)
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	path := filepath.Join(t.TempDir(), "a.log")
	opts := Options{Signer: ek, Origin: origin, Durability: Batch, CheckpointEvery: 20, Logger: quiet,
		Witnesses: []Witness{{URL: lw.URL, Key: lw.VerifierKey, Timeout: 2 * time.Second}}}
	w, _, err := Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		w.Append(TypeNote, int64(i), []byte("n"))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	st := w.Stats()
	if st.Cosignatures == 0 || st.WitnessBehind != 0 {
		t.Fatalf("first session: %+v\n%s", st, lw.Output())
	}
	keys := keyringOf(t, ek)
	ck, _ := ReadCheckpoints(path + ".checkpoints")
	rep, err := verifyPath(path, VerifyOptions{Keys: keys, Checkpoints: ck, Witnesses: []note.Verifier{wv}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Witnessed[litewitness.Name] != int64(rep.Records)-1 {
		t.Fatalf("witness cosigned up to %d of %d records", rep.Witnessed[litewitness.Name], rep.Records-1)
	}

	// The witness goes down: Append goes on, failures are counted, the
	// latest checkpoint waits; when it is back, it is cosigned (with a
	// consistency proof from the size the witness knows: a new Writer
	// starts at 0 and learns it from 409 Conflict).
	lw.Stop()
	w, _, err = Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		if err := w.Append(TypeNote, int64(i), []byte("m")); err != nil {
			t.Fatal(err)
		}
	}
	w.Sync()
	waitFor(t, "a failed witness request", func() bool { return w.Stats().WitnessFailures > 0 })
	if w.Stats().WitnessBehind != 1 {
		t.Fatalf("stats %+v", w.Stats())
	}
	lw.Start()
	waitFor(t, "the witness to catch up", func() bool { return w.Stats().WitnessBehind == 0 })
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	ck, _ = ReadCheckpoints(path + ".checkpoints")
	rep, err = verifyPath(path, VerifyOptions{Keys: keys, Checkpoints: ck, Witnesses: []note.Verifier{wv}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Witnessed[litewitness.Name] != int64(rep.Records)-1 {
		t.Fatalf("after the outage the witness cosigned up to %d of %d records", rep.Witnessed[litewitness.Name], rep.Records-1)
	}

	// A fork: the log cut back to its first session and extended with
	// other records, with a checkpoints file of its own. The witness
	// refuses it.
	b := mustRead(t, path)
	_, recs := splitRecords(b)
	first := len(Magic)
	for _, r := range recs[:50] {
		first += len(r)
	}
	fork := filepath.Join(t.TempDir(), "fork.log")
	os.WriteFile(fork, b[:first], 0o600)
	fw, _, err := Open(fork, opts)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 300 {
		fw.Append(TypeNote, int64(i), []byte("forked"))
	}
	fw.Sync()
	waitFor(t, "the witness to refuse the fork", func() bool { return fw.Stats().WitnessFailures > 0 })
	fw.Close()
	if fw.Stats().Cosignatures != 0 {
		t.Fatalf("the witness cosigned a fork: %+v", fw.Stats())
	}
	ck, _ = ReadCheckpoints(fork + ".checkpoints")
	if _, err := verifyPath(fork, VerifyOptions{Keys: keys, Checkpoints: ck, Witnesses: []note.Verifier{wv}}); err == nil {
		t.Fatal("the fork verifies with the witness required")
	}
	if !strings.Contains(lw.Output(), "listening") {
		t.Log(lw.Output())
	}
}

func keyringOf(t *testing.T, k provider.Key) *provider.Keyring {
	r, err := provider.NewKeyring(k)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
