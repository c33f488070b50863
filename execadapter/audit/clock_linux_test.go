package audit

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"golang.org/x/sys/unix"
)

// TestClockOfTimex: the clock is unsynchronised when adjtimex returns
// TIME_ERROR or the status holds STA_UNSYNC; errors are microseconds, the
// offset nanoseconds only with STA_NANO.
func TestClockOfTimex(t *testing.T) {
	tests := []struct {
		name  string
		state int
		tx    unix.Timex
		want  Clock
	}{
		{"synced, nanosecond offset", unix.TIME_OK, unix.Timex{Status: unix.STA_PLL | unix.STA_NANO, Maxerror: 1500, Esterror: 20, Offset: -1234, Tai: 37},
			Clock{State: ClockSynced, MaxError: 1500 * time.Microsecond, EstError: 20 * time.Microsecond, Offset: -1234, TAI: 37}},
		{"synced, microsecond offset", unix.TIME_OK, unix.Timex{Status: unix.STA_PLL, Maxerror: 7, Offset: -3},
			Clock{State: ClockSynced, MaxError: 7 * time.Microsecond, Offset: -3 * time.Microsecond}},
		{"leap second pending", unix.TIME_INS, unix.Timex{Status: unix.STA_INS, Maxerror: 9},
			Clock{State: ClockSynced, MaxError: 9 * time.Microsecond}},
		{"STA_UNSYNC", unix.TIME_OK, unix.Timex{Status: unix.STA_UNSYNC, Maxerror: 16000000, Esterror: 16000000},
			Clock{State: ClockUnsynced, MaxError: 16 * time.Second, EstError: 16 * time.Second}},
		{"TIME_ERROR", unix.TIME_ERROR, unix.Timex{Maxerror: 5},
			Clock{State: ClockUnsynced, MaxError: 5 * time.Microsecond}},
		{"negative error", unix.TIME_OK, unix.Timex{Maxerror: -1},
			Clock{State: ClockSynced}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := clockOfTimex(tc.state, &tc.tx); got != tc.want {
				t.Fatalf("clockOfTimex = %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestClockSource: a daemon is named only when its pid file names a
// process of its name; systemd-timesyncd by the file it touches once
// synchronised; else unknown.
func TestClockSource(t *testing.T) {
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	tests := []struct {
		name string
		fs   fstest.MapFS
		want string
	}{
		{"nothing", fstest.MapFS{}, SourceUnknown},
		{"chronyd", fstest.MapFS{"run/chrony/chronyd.pid": file("412\n"), "proc/412/comm": file("chronyd\n")}, "chrony"},
		{"chronyd, old path", fstest.MapFS{"var/run/chronyd.pid": file("9"), "proc/9/comm": file("chronyd\n")}, "chrony"},
		{"stale chrony pid file", fstest.MapFS{"run/chrony/chronyd.pid": file("412\n"), "proc/412/comm": file("bash\n")}, SourceUnknown},
		{"dead chrony pid", fstest.MapFS{"run/chrony/chronyd.pid": file("412\n")}, SourceUnknown},
		{"garbage pid", fstest.MapFS{"run/chrony/chronyd.pid": file("x\n"), "proc/x/comm": file("chronyd\n")}, SourceUnknown},
		{"ntpd", fstest.MapFS{"run/ntpd.pid": file("77\n"), "proc/77/comm": file("ntpd\n")}, "ntpd"},
		{"stale chrony, running ntpd", fstest.MapFS{"run/chrony/chronyd.pid": file("1\n"), "proc/1/comm": file("systemd\n"),
			"run/ntpd.pid": file("77\n"), "proc/77/comm": file("ntpd\n")}, "ntpd"},
		{"systemd-timesyncd", fstest.MapFS{"run/systemd/timesync/synchronized": file("")}, "systemd-timesyncd"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := clockSource(tc.fs); got != tc.want {
				t.Fatalf("clockSource = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestReadClockFromKernel reads this machine's kernel clock state through
// ReadClock and a Writer: the state is what adjtimex says (read again
// here), every checkpoint carries it, and MaxClockError passes or fails
// the log by it.
func TestReadClockFromKernel(t *testing.T) {
	c := ReadClock()
	t.Logf("kernel clock: %s", c.appendLine(nil))
	if err := c.check(); err != nil {
		t.Fatalf("ReadClock() = %+v: %v", c, err)
	}
	var tx unix.Timex
	state, err := unix.Adjtimex(&tx)
	if err != nil {
		if c != (Clock{State: ClockUnknown}) {
			t.Fatalf("adjtimex: %v, yet ReadClock = %+v", err, c)
		}
		t.Skipf("adjtimex is refused here (%v); ReadClock says unknown", err)
	}
	want := ClockSynced
	if state == unix.TIME_ERROR || tx.Status&unix.STA_UNSYNC != 0 {
		want = ClockUnsynced
	}
	if c.State != want || c.Source == "" {
		t.Fatalf("ReadClock = %+v; adjtimex says %v (state %d, status %#x)", c, want, state, tx.Status)
	}

	path := writeClockLog(t, 10, nil)
	_, keys := key(t, 42)
	rep, err := verifyPath(path, VerifyOptions{Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("clock summary %+v", rep.Clock)
	if rep.Clock.Synced+rep.Clock.Unsynced != rep.Checkpoints || rep.Checkpoints < 3 {
		t.Fatalf("clock summary %+v of %d checkpoints, want each synced or unsynced", rep.Clock, rep.Checkpoints)
	}
	if rep.Clock.Unsynced > 0 {
		_, err := verifyPath(path, VerifyOptions{Keys: keys, MaxClockError: time.Hour})
		if !errors.Is(err, ErrClockEvidence) || !strings.Contains(err.Error(), "unsynchronised") ||
			!strings.Contains(err.Error(), "checkpoint record "+strconv.FormatUint(rep.Clock.FirstUnsynced, 10)+" ") {
			t.Fatalf("an unsynchronised kernel, bound 1h: %v", err)
		}
		return
	}
	if _, err := verifyPath(path, VerifyOptions{Keys: keys, MaxClockError: rep.Clock.MaxError}); err != nil {
		t.Fatalf("a synchronised kernel, bound %v (its largest stated error): %v", rep.Clock.MaxError, err)
	}
	if rep.Clock.MaxError > 0 {
		_, err := verifyPath(path, VerifyOptions{Keys: keys, MaxClockError: rep.Clock.MaxError - 1})
		if !errors.Is(err, ErrClockEvidence) || !strings.Contains(err.Error(), "checkpoint record "+strconv.FormatUint(rep.Clock.MaxErrorRecord, 10)+" ") {
			t.Fatalf("a synchronised kernel, bound %v: %v", rep.Clock.MaxError-1, err)
		}
	}
}
