package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tinywindow/tinywindow/execadapter/audit"
	"github.com/tinywindow/tinywindow/providers/hmac"
)

// clockLog writes a small log whose checkpoints state clock, signed with
// hmac:seed=42.
func clockLog(t *testing.T, clock audit.Clock) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "audit.log")
	w, _, err := audit.Open(path, audit.Options{Signer: hmac.NewFromSeed(42), Durability: audit.Always, Clock: func() audit.Clock { return clock }})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		w.Append(audit.TypeNote, int64(i), []byte("n"))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestAuditVerifyMaxClockError: audit verify shows the clock the
// checkpoints state, and --max-clock-error fails (exit 1, naming the
// checkpoint) a log with a larger error, an unsynchronised clock or no
// clock line (a log written before clock lines), which verify without it.
func TestAuditVerifyMaxClockError(t *testing.T) {
	synced := audit.Clock{State: audit.ClockSynced, MaxError: 20 * time.Millisecond, EstError: time.Millisecond, TAI: 37, Source: "chrony"}
	unsynced := audit.Clock{State: audit.ClockUnsynced, MaxError: 16 * time.Second, EstError: 16 * time.Second, Source: audit.SourceUnknown}
	tests := []struct {
		name  string
		clock audit.Clock
		flags []string
		code  int
		out   []string // on stdout for exit 0, on stderr otherwise
	}{
		{"synced, no bound", synced, nil, exitOK, []string{"clock: 2 checkpoints synchronised (largest maximum error 20ms, record 2), 0 unsynchronised, 0 unknown, 0 without a clock line; time source chrony"}},
		{"synced within 50ms", synced, []string{"--max-clock-error", "50ms"}, exitOK, []string{"every checkpoint synchronised within --max-clock-error 50ms"}},
		{"synced over 100us", synced, []string{"--max-clock-error", "100us"}, exitInvalid, []string{"checkpoint record 2 ", "maximum error 20ms, more than 100µs", "--max-clock-error 100µs", "the log is intact"}},
		{"unsynchronised, no bound", unsynced, nil, exitOK, []string{"2 unsynchronised (first: record 2)"}},
		{"unsynchronised", unsynced, []string{"--max-clock-error", "1h"}, exitInvalid, []string{"checkpoint record 2 ", "unsynchronised"}},
		{"old log, no bound", audit.Clock{}, nil, exitOK, []string{"intact", "2 without a clock line"}},
		{"old log", audit.Clock{}, []string{"--max-clock-error", "50ms"}, exitInvalid, []string{"checkpoint record 2 ", "no clock line"}},
		{"negative bound", synced, []string{"--max-clock-error", "-1s"}, exitError, []string{"positive duration"}},
		{"not a duration", synced, []string{"--max-clock-error", "50"}, exitError, []string{"max-clock-error"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := clockLog(t, tc.clock)
			code, stdout, stderr := execRun(t, append([]string{"audit", "verify", path, "--signer", "hmac:seed=42"}, tc.flags...)...)
			out := stderr
			if tc.code == exitOK {
				out = stdout
			}
			if code != tc.code {
				t.Fatalf("exit %d, want %d: %s%s", code, tc.code, stdout, stderr)
			}
			for _, want := range tc.out {
				if !strings.Contains(out, want) {
					t.Errorf("output %q does not say %q", out, want)
				}
			}
		})
	}
}

// TestAuditVerifyShowsKernelClock: a demo log carries this machine's
// kernel clock state in every checkpoint, and audit verify shows it.
func TestAuditVerifyShowsKernelClock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	if code, _, stderr := execRun(t, "demo", "--orders", "50", "--audit", path, "--allow-shared-checkpoint-key"); code != exitOK {
		t.Fatalf("demo: %s", stderr)
	}
	code, out, stderr := execRun(t, "audit", "verify", path, "--signer", "hmac:seed=42")
	if code != exitOK || !strings.Contains(out, "  clock: ") {
		t.Fatalf("exit %d: %s%s", code, out, stderr)
	}
	t.Log(out)
	want := "0 unknown, 0 without a clock line"
	if audit.ReadClock().State == audit.ClockUnknown {
		// Not Linux, or adjtimex refused: every checkpoint says so.
		want = "0 checkpoints synchronised, 0 unsynchronised"
	}
	if !strings.Contains(out, want) {
		t.Fatalf("audit verify does not say %q: %s", want, out)
	}
}

// TestAuditCheckProofShowsClock: check-proof prints the clock state the
// proof's checkpoint states.
func TestAuditCheckProofShowsClock(t *testing.T) {
	path := clockLog(t, audit.Clock{State: audit.ClockSynced, MaxError: 20 * time.Millisecond, EstError: time.Millisecond, TAI: 37, Source: "chrony"})
	code, proof, stderr := execRun(t, "audit", "prove", path, "--record", "3")
	if code != exitOK {
		t.Fatalf("prove: exit %d: %s", code, stderr)
	}
	pf := filepath.Join(t.TempDir(), "3.proof")
	if err := os.WriteFile(pf, []byte(proof), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := execRun(t, "audit", "check-proof", pf, "--verifier", "hmac:seed=42")
	want := "states the clock synced, maximum error 20ms, estimated error 1ms, offset 0s, TAI-UTC 37s, source chrony"
	if code != exitOK || !strings.Contains(out, want) {
		t.Fatalf("check-proof: exit %d: %s%s; want %q", code, out, stderr, want)
	}
}
