package audit

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tinywindow/tinywindow/internal/litewitness"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// TestClockLine: every state's line parses back to the Clock it was made
// from, and a line written any other way is refused.
func TestClockLine(t *testing.T) {
	good := []struct {
		line string
		c    Clock
	}{
		{"clock synced max-error=1234us est-error=56us offset=-789ns tai=37s source=chrony",
			Clock{State: ClockSynced, MaxError: 1234 * time.Microsecond, EstError: 56 * time.Microsecond, Offset: -789, TAI: 37, Source: "chrony"}},
		{"clock unsynced max-error=16000000us est-error=16000000us offset=0ns tai=0s source=unknown",
			Clock{State: ClockUnsynced, MaxError: 16 * time.Second, EstError: 16 * time.Second, Source: SourceUnknown}},
		{"clock synced max-error=0us est-error=0us offset=500000000ns tai=-1s source=systemd-timesyncd",
			Clock{State: ClockSynced, Offset: 500 * time.Millisecond, TAI: -1, Source: "systemd-timesyncd"}},
		{"clock unknown", Clock{State: ClockUnknown}},
	}
	for _, tc := range good {
		t.Run(tc.line, func(t *testing.T) {
			c, err := parseClockLine(tc.line)
			if err != nil || c != tc.c {
				t.Fatalf("parseClockLine = %+v, %v; want %+v", c, err, tc.c)
			}
			if err := c.check(); err != nil {
				t.Fatalf("check: %v", err)
			}
			if got := string(c.appendLine(nil)); got != tc.line+"\n" {
				t.Fatalf("appendLine = %q", got)
			}
		})
	}
	bad := []string{
		"",
		"clock",
		"clock ",
		"clock unknown ",
		"clock unknown source=chrony",
		"clock absent",
		"Clock synced max-error=1us est-error=1us offset=0ns tai=0s source=chrony",
		"clock SYNCED max-error=1us est-error=1us offset=0ns tai=0s source=chrony",
		"clock synced max-error=1us est-error=1us offset=0ns tai=0s",
		"clock synced max-error=1us est-error=1us offset=0ns tai=0s source=chrony x=1",
		"clock synced  max-error=1us est-error=1us offset=0ns tai=0s source=chrony",
		"clock synced max-error=1us est-error=1us offset=0ns tai=0s source=chrony ",
		"clock synced est-error=1us max-error=1us offset=0ns tai=0s source=chrony",
		"clock synced max-error=01us est-error=1us offset=0ns tai=0s source=chrony",
		"clock synced max-error=+1us est-error=1us offset=0ns tai=0s source=chrony",
		"clock synced max-error=-1us est-error=1us offset=0ns tai=0s source=chrony",
		"clock synced max-error=1ms est-error=1us offset=0ns tai=0s source=chrony",
		"clock synced max-error=1 us est-error=1us offset=0ns tai=0s source=chrony",
		"clock synced max-error=1us est-error=1us offset=-0ns tai=0s source=chrony",
		"clock synced max-error=1us est-error=1us offset=0us tai=0s source=chrony",
		"clock synced max-error=1us est-error=1us offset=0ns tai=0 source=chrony",
		"clock synced max-error=9223372036854776us est-error=1us offset=0ns tai=0s source=chrony",
		"clock synced max-error=1us est-error=1us offset=9223372036854775808ns tai=0s source=chrony",
		"clock synced max-error=1us est-error=1us offset=0ns tai=0s source=",
		"clock synced max-error=1us est-error=1us offset=0ns tai=0s source=Chrony",
		"clock synced max-error=1us est-error=1us offset=0ns tai=0s source=chrony_d",
		"clock synced max-error=1us est-error=1us offset=0ns tai=0s source=" + strings.Repeat("a", 65),
	}
	for _, line := range bad {
		if c, err := parseClockLine(line); err == nil {
			t.Errorf("parseClockLine(%q) = %+v, want an error", line, c)
		}
	}
}

// TestClockString: each state reads as its name; a reading, with its
// numbers.
func TestClockString(t *testing.T) {
	tests := []struct {
		c    Clock
		want string
	}{
		{Clock{}, "absent"},
		{Clock{State: ClockUnknown}, "unknown"},
		{Clock{State: ClockSynced, MaxError: 1834 * time.Microsecond, EstError: 112 * time.Microsecond, Offset: -2031, TAI: 37, Source: "chrony"},
			"synced, maximum error 1.834ms, estimated error 112µs, offset -2.031µs, TAI-UTC 37s, source chrony"},
		{Clock{State: ClockUnsynced, MaxError: 16 * time.Second, EstError: 16 * time.Second, Source: SourceUnknown},
			"unsynced, maximum error 16s, estimated error 16s, offset 0s, TAI-UTC 0s, source unknown"},
	}
	for _, tc := range tests {
		if got := tc.c.String(); got != tc.want {
			t.Errorf("String() = %q, want %q", got, tc.want)
		}
	}
}

// TestClockCheck: check refuses a Clock no line can carry, which the
// writer then records as "clock unknown".
func TestClockCheck(t *testing.T) {
	for _, c := range []Clock{
		{State: ClockSynced, MaxError: -time.Microsecond, Source: "chrony"},
		{State: ClockSynced, MaxError: time.Nanosecond, Source: "chrony"},
		{State: ClockSynced, EstError: 1500 * time.Nanosecond, Source: "chrony"},
		{State: ClockSynced, Source: ""},
		{State: ClockUnsynced, Source: "two words"},
		{State: ClockUnknown, Source: "chrony"},
		{State: ClockUnknown, MaxError: time.Second},
		{State: 9, Source: "chrony"},
	} {
		if err := c.check(); err == nil {
			t.Errorf("check(%+v) = nil", c)
		}
	}
	path := filepath.Join(t.TempDir(), "a.log")
	k, keys := key(t, 42)
	var logged bytes.Buffer
	w, _, err := Open(path, Options{Signer: k, Logger: slog.New(slog.NewTextHandler(&logged, nil)),
		Clock: func() Clock { return Clock{State: ClockSynced, MaxError: -1, Source: "chrony"} }})
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	if !strings.Contains(logged.String(), "the checkpoint says clock unknown") {
		t.Fatalf("nothing logged: %q", logged.String())
	}
	rep, err := verifyPath(path, VerifyOptions{Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Clock.Unknown != rep.Checkpoints || rep.Checkpoints == 0 {
		t.Fatalf("clock summary %+v of %d checkpoints, want every one unknown", rep.Clock, rep.Checkpoints)
	}
}

// TestCheckpointClockLine: a checkpoint's text carries its clock line
// after the time line, as a C2SP tlog-checkpoint extension line, and parses
// back; without one it is the four lines of logs before clock lines.
func TestCheckpointClockLine(t *testing.T) {
	c := Checkpoint{Origin: "example.com/log", Tree: tlog.Tree{N: 9, Hash: tlog.RecordHash([]byte("x"))}, Time: 1700000000000000001,
		Clock: Clock{State: ClockSynced, MaxError: 2 * time.Millisecond, EstError: 100 * time.Microsecond, Offset: -5, TAI: 37, Source: "chrony"}}
	want := "example.com/log\n9\n" + c.Hash.String() + "\ntime 1700000000000000001\n" +
		"clock synced max-error=2000us est-error=100us offset=-5ns tai=37s source=chrony\n"
	if c.Text() != want {
		t.Fatalf("Text = %q, want %q", c.Text(), want)
	}
	for _, cc := range []Checkpoint{c, {Origin: c.Origin, Tree: c.Tree, Time: c.Time}} {
		got, err := ParseCheckpoint(cc.Text())
		if err != nil || got != cc {
			t.Fatalf("ParseCheckpoint(%q) = %+v, %v", cc.Text(), got, err)
		}
	}
	if n := strings.Count(Checkpoint{Origin: c.Origin, Tree: c.Tree, Time: c.Time}.Text(), "\n"); n != 4 {
		t.Fatalf("a checkpoint without a clock has %d lines", n)
	}
	for _, text := range []string{
		c.Text() + "clock unknown\n",
		strings.Replace(c.Text(), "clock ", "clocks ", 1),
		strings.Replace(c.Text(), "\nclock", "\n\nclock", 1),
		strings.TrimSuffix(c.Text(), "\n"),
	} {
		if _, err := ParseCheckpoint(text); !errors.Is(err, ErrCorrupt) {
			t.Errorf("ParseCheckpoint(%q): %v, want ErrCorrupt", text, err)
		}
	}
}

// clockSeq returns a Clock reader that gives the clocks in turn and then
// the last one again.
func clockSeq(cs ...Clock) func() Clock {
	var mu sync.Mutex
	return func() Clock {
		mu.Lock()
		defer mu.Unlock()
		c := cs[0]
		if len(cs) > 1 {
			cs = cs[1:]
		}
		return c
	}
}

// writeClockLog writes a log of n notes, a checkpoint after every third
// record, reading the clock with clock.
func writeClockLog(t *testing.T, n int, clock func() Clock) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "a.log")
	k, _ := key(t, 42)
	w, _, err := Open(path, Options{Signer: k, Durability: Always, CheckpointEvery: 3, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if err := w.Append(TypeNote, int64(i), []byte("n")); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestMaxClockError: with MaxClockError, a log verifies only if every
// checkpoint states a synchronised clock within it; the error names the
// first checkpoint that does not, and matches ErrClockEvidence, not
// ErrCorrupt. Without it, every such log verifies, old logs without clock
// lines included.
func TestMaxClockError(t *testing.T) {
	synced := func(max time.Duration) Clock {
		return Clock{State: ClockSynced, MaxError: max, EstError: time.Microsecond, Source: "chrony"}
	}
	tests := []struct {
		name   string
		clocks []Clock
		bound  time.Duration
		nth    int // the checkpoint named, from 1; 0: verifies
		reason string
	}{
		{"within", []Clock{synced(10 * time.Millisecond)}, 50 * time.Millisecond, 0, ""},
		{"at the bound", []Clock{synced(100 * time.Microsecond)}, 100 * time.Microsecond, 0, ""},
		{"over", []Clock{synced(101 * time.Microsecond)}, 100 * time.Microsecond, 1, "maximum error 101µs, more than 100µs"},
		{"later checkpoint over", []Clock{synced(time.Millisecond), synced(time.Millisecond), synced(60 * time.Millisecond)}, 50 * time.Millisecond, 3, "maximum error 60ms, more than 50ms"},
		{"unsynchronised", []Clock{synced(time.Millisecond), {State: ClockUnsynced, MaxError: time.Millisecond, Source: SourceUnknown}}, time.Second, 2, "unsynchronised"},
		{"unknown", []Clock{{State: ClockUnknown}}, time.Second, 1, "clock unknown"},
		{"no clock line (old log)", []Clock{{}}, time.Hour, 1, "no clock line"},
		{"old log continued with clock lines", []Clock{{}, {}, synced(time.Millisecond)}, time.Hour, 1, "no clock line"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := writeClockLog(t, 10, clockSeq(tc.clocks...))
			_, keys := key(t, 42)
			rep, err := verifyPath(path, VerifyOptions{Keys: keys})
			if err != nil {
				t.Fatalf("without a bound: %v", err)
			}
			var states uint64
			for _, n := range []uint64{rep.Clock.Synced, rep.Clock.Unsynced, rep.Clock.Unknown, rep.Clock.Absent} {
				states += n
			}
			if states != rep.Checkpoints {
				t.Fatalf("clock summary %+v counts %d of %d checkpoints", rep.Clock, states, rep.Checkpoints)
			}
			_, err = verifyPath(path, VerifyOptions{Keys: keys, MaxClockError: tc.bound})
			if tc.nth == 0 {
				if err != nil {
					t.Fatalf("bound %v: %v", tc.bound, err)
				}
				return
			}
			if !errors.Is(err, ErrClockEvidence) || errors.Is(err, ErrCorrupt) {
				t.Fatalf("bound %v: %v; want ErrClockEvidence and not ErrCorrupt", tc.bound, err)
			}
			for _, want := range []string{"checkpoint record " + strconv.FormatUint(checkpointRecords(t, path)[tc.nth-1], 10) + " ", tc.reason} {
				if !strings.Contains(err.Error(), want) {
					t.Fatalf("bound %v: %q does not say %q", tc.bound, err, want)
				}
			}
		})
	}
}

// checkpointRecords returns the sequence numbers of the checkpoint records
// of the log at path.
func checkpointRecords(t *testing.T, path string) []uint64 {
	t.Helper()
	sc, err := newScanner(bytes.NewReader(mustRead(t, path)))
	if err != nil {
		t.Fatal(err)
	}
	var out []uint64
	for {
		rec, err := sc.next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if rec.Type == TypeCheckpoint {
			out = append(out, rec.Seq)
		}
	}
}

// TestClockSummary: the report names the largest maximum error of the
// synchronised checkpoints and its record, the first unsynchronised
// checkpoint and the sources, each once.
func TestClockSummary(t *testing.T) {
	path := writeClockLog(t, 10, clockSeq(
		Clock{State: ClockSynced, MaxError: 3 * time.Millisecond, Source: "chrony"},
		Clock{State: ClockSynced, MaxError: 7 * time.Millisecond, Source: "chrony"},
		Clock{State: ClockUnsynced, MaxError: 16 * time.Second, Source: SourceUnknown},
		Clock{State: ClockSynced, MaxError: 5 * time.Millisecond, Source: "ntpd"},
	))
	_, keys := key(t, 42)
	rep, err := verifyPath(path, VerifyOptions{Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	cps := checkpointRecords(t, path)
	s := rep.Clock
	if s.MaxError != 7*time.Millisecond || s.MaxErrorRecord != cps[1] || s.FirstUnsynced != cps[2] || s.Unsynced != 1 ||
		s.Synced != rep.Checkpoints-1 || strings.Join(s.Sources, ",") != "chrony,unknown,ntpd" {
		t.Fatalf("summary %+v of %d checkpoints", s, rep.Checkpoints)
	}
}

// TestClockLineSigned: a clock line changed without the key (a smaller
// error, synced for unsynced), its record's leaf hash recomputed, fails
// the signature.
func TestClockLineSigned(t *testing.T) {
	path := writeClockLog(t, 4, clockSeq(Clock{State: ClockUnsynced, MaxError: 16 * time.Second, EstError: 16 * time.Second, Source: SourceUnknown}))
	orig := mustRead(t, path)
	for name, edit := range map[string]func([]byte) []byte{
		"state": func(b []byte) []byte { return bytes.Replace(b, []byte("clock unsynced"), []byte("clock synced"), 1) },
		"max error": func(b []byte) []byte {
			return bytes.Replace(b, []byte("max-error=16000000us"), []byte("max-error=10us"), 1)
		},
		"removed": func(b []byte) []byte {
			i := bytes.Index(b, []byte("clock "))
			j := bytes.IndexByte(b[i:], '\n')
			return append(b[:i:i], b[i+j+1:]...)
		},
	} {
		t.Run(name, func(t *testing.T) {
			changed := lastRecordEdit(orig, edit)
			if bytes.Equal(changed, orig) {
				t.Fatal("the edit changed nothing")
			}
			_, err := verifyBytes(t, changed)
			var bad *BadRecordError
			if !errors.Is(err, ErrCorrupt) || !errors.As(err, &bad) || bad.Record != uint64(len(splitRecordsN(orig))) {
				t.Fatalf("got %v", err)
			}
		})
	}
}

// TestWitnessCosignsClockLine runs a real litewitness: it cosigns
// checkpoints that carry a clock line, and its cosignature covers that
// line, so a log verifies with the witness required and the clock bounded.
func TestWitnessCosignsClockLine(t *testing.T) {
	lw := litewitness.New(t)
	ek := newEdKey(t)
	origin := "example.com/tinywindow/clock-test"
	logVkey, err := CheckpointVerifierKey(origin, ek)
	if err != nil {
		t.Fatal(err)
	}
	lw.AddLog(origin, logVkey)
	lw.Start()
	wv, err := ParseWitnessKey(lw.VerifierKey)
	if err != nil {
		t.Fatal(err)
	}
	clock := Clock{State: ClockSynced, MaxError: 40 * time.Millisecond, EstError: time.Millisecond, Offset: -1200, TAI: 37, Source: "chrony"}
	path := filepath.Join(t.TempDir(), "a.log")
	w, _, err := Open(path, Options{Signer: ek, Origin: origin, Durability: Always, CheckpointEvery: 5,
		Clock:     func() Clock { return clock },
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
		Witnesses: []Witness{{URL: lw.URL, Key: lw.VerifierKey, Timeout: 2 * time.Second}}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		w.Append(TypeNote, int64(i), []byte("n"))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if st := w.Stats(); st.Cosignatures == 0 || st.WitnessBehind != 0 {
		t.Fatalf("stats %+v\n%s", st, lw.Output())
	}
	notes, err := ReadCheckpoints(path + ".checkpoints")
	if err != nil {
		t.Fatal(err)
	}
	vs, err := CheckpointVerifiers(origin, nil, wv)
	if err != nil {
		t.Fatal(err)
	}
	cosigned := 0
	for _, msg := range notes {
		// Only the witness's key: the note opens if its cosignature
		// verifies over the whole text, clock line included.
		n, err := note.Open(msg, vs)
		if err != nil {
			continue
		}
		c, err := ParseCheckpoint(n.Text)
		if err != nil || c.Clock != clock {
			t.Fatalf("cosigned checkpoint %q: clock %+v, %v", n.Text, c.Clock, err)
		}
		cosigned++
	}
	if cosigned == 0 {
		t.Fatal("no checkpoint in the checkpoints file is cosigned")
	}
	keys := keyringOf(t, ek)
	opts := VerifyOptions{Keys: keys, Checkpoints: notes, Witnesses: []note.Verifier{wv}, MaxClockError: 50 * time.Millisecond}
	if _, err := verifyPath(path, opts); err != nil {
		t.Fatal(err)
	}
	opts.MaxClockError = 30 * time.Millisecond
	if _, err := verifyPath(path, opts); !errors.Is(err, ErrClockEvidence) {
		t.Fatalf("bound 30ms: %v", err)
	}
}

// FuzzClockLine parses arbitrary clock lines: none panics, and a line
// that parses is the one line of its Clock, so a signed line reads one way
// only.
func FuzzClockLine(f *testing.F) {
	f.Add("clock synced max-error=1234us est-error=56us offset=-789ns tai=37s source=chrony")
	f.Add("clock unsynced max-error=16000000us est-error=16000000us offset=0ns tai=0s source=unknown")
	f.Add("clock unknown")
	f.Add("clock synced max-error=9223372036854775us est-error=0us offset=-9223372036854775808ns tai=0s source=a")
	f.Fuzz(func(t *testing.T, line string) {
		c, err := parseClockLine(line)
		if err != nil {
			return
		}
		if err := c.check(); err != nil {
			t.Fatalf("parseClockLine(%q) = %+v, which check refuses: %v", line, c, err)
		}
		if got := string(c.appendLine(nil)); got != line+"\n" {
			t.Fatalf("parseClockLine(%q) = %+v, written back as %q", line, c, got)
		}
	})
}

// FuzzParseCheckpoint parses arbitrary checkpoint texts: a text that parses
// is the one text of its Checkpoint.
func FuzzParseCheckpoint(f *testing.F) {
	c := Checkpoint{Origin: "example.com/log", Tree: tlog.Tree{N: 9, Hash: tlog.RecordHash([]byte("x"))}, Time: 1700000000000000001}
	f.Add(c.Text())
	c.Clock = Clock{State: ClockSynced, MaxError: 2 * time.Millisecond, Source: "chrony"}
	f.Add(c.Text())
	c.Clock = Clock{State: ClockUnknown}
	f.Add(c.Text())
	f.Fuzz(func(t *testing.T, text string) {
		c, err := ParseCheckpoint(text)
		if err != nil {
			return
		}
		if c.Text() != text {
			t.Fatalf("ParseCheckpoint(%q) = %+v, written back as %q", text, c, c.Text())
		}
	})
}

// BenchmarkReadClock measures the clock reading every checkpoint makes
// (adjtimex and the time-source lookup).
func BenchmarkReadClock(b *testing.B) {
	for b.Loop() {
		ReadClock()
	}
}

// TestClockCheckedAfterIntegrity: with MaxClockError, a changed log is
// reported as changed (ErrCorrupt), not as failing the clock bound, even
// when its first checkpoint states an unsynchronised clock.
func TestClockCheckedAfterIntegrity(t *testing.T) {
	path := writeClockLog(t, 10, clockSeq(Clock{State: ClockUnsynced, MaxError: 16 * time.Second, Source: SourceUnknown}))
	b := mustRead(t, path)
	b[len(b)-40] ^= 1
	_, keys := key(t, 42)
	_, err := Verify(t.Context(), bytes.NewReader(b), VerifyOptions{Keys: keys, MaxClockError: time.Second})
	if !errors.Is(err, ErrCorrupt) || errors.Is(err, ErrClockEvidence) {
		t.Fatalf("got %v, want ErrCorrupt alone", err)
	}
}
