package audit

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Clock is the host clock's state as the kernel reported it when a
// checkpoint was made: the evidence, signed in the checkpoint's clock line,
// that the checkpoint's time (and the times of the records it covers) came
// from a clock synchronised to UTC within a stated error.
type Clock struct {
	// State says whether the kernel held the clock synchronised.
	State ClockState
	// MaxError is the kernel's maximum error (adjtimex maxerror): the bound
	// on the difference between the clock and UTC that the time daemon
	// last set, grown by the kernel since at 500 ppm. A whole number of
	// microseconds.
	MaxError time.Duration
	// EstError is the kernel's estimated error (adjtimex esterror), a whole
	// number of microseconds.
	EstError time.Duration
	// Offset is the time offset the kernel was still correcting (adjtimex
	// offset), in nanoseconds.
	Offset time.Duration
	// TAI is the TAI−UTC offset the kernel held, in seconds (0 when no
	// daemon set it).
	TAI int64
	// Source names the daemon that disciplines the clock, found by
	// ReadClock: "chrony", "ntpd", "systemd-timesyncd", or "unknown"; empty
	// when State is ClockAbsent or ClockUnknown. It is information only: no
	// check relies on it.
	Source string
}

// ClockState is the state of the host clock a checkpoint states.
type ClockState uint8

const (
	// ClockAbsent: the checkpoint has no clock line (a log written before
	// checkpoints carried one, or a writer given a Clock reader that
	// returns the zero Clock).
	ClockAbsent ClockState = iota
	// ClockUnknown: the writer could not read the clock's state (not Linux,
	// or adjtimex refused); the line is "clock unknown".
	ClockUnknown
	// ClockSynced: adjtimex returned a state other than TIME_ERROR and
	// the status did not hold STA_UNSYNC.
	ClockSynced
	// ClockUnsynced: adjtimex returned TIME_ERROR or the status held
	// STA_UNSYNC: no daemon held the clock to UTC.
	ClockUnsynced
)

func (s ClockState) String() string {
	switch s {
	case ClockAbsent:
		return "absent"
	case ClockUnknown:
		return "unknown"
	case ClockSynced:
		return "synced"
	case ClockUnsynced:
		return "unsynced"
	}
	return fmt.Sprintf("clockstate(%d)", uint8(s))
}

// String describes c for people: "synced, maximum error 1.834ms, estimated
// error 112µs, offset -2.031µs, TAI-UTC 37s, source chrony", "unsynced,
// …", "unknown" or "absent".
func (c Clock) String() string {
	if c.State != ClockSynced && c.State != ClockUnsynced {
		return c.State.String()
	}
	return fmt.Sprintf("%v, maximum error %v, estimated error %v, offset %v, TAI-UTC %ds, source %s",
		c.State, c.MaxError, c.EstError, c.Offset, c.TAI, c.Source)
}

// SourceUnknown is the Source of a Clock whose time source ReadClock could
// not name.
const SourceUnknown = "unknown"

// ReadClock returns the host clock's state as the kernel reports it now. On
// Linux it reads adjtimex(2) without changing anything (modes 0, allowed
// without privilege) and looks for a running chronyd, ntpd or
// systemd-timesyncd; elsewhere, or when adjtimex fails, it returns a Clock
// whose State is ClockUnknown. It is what a Writer records in each
// checkpoint unless Options.Clock says otherwise.
func ReadClock() Clock { return readClock() }

// ErrClockEvidence is matched by the error of Verify when a checkpoint's
// clock line does not show a clock synchronised within
// VerifyOptions.MaxClockError: a larger maximum error, an unsynchronised
// or unknown clock, or no clock line at all. It does not match ErrCorrupt:
// the log is intact.
var ErrClockEvidence = errors.New("clock evidence does not meet the bound")

// within returns nil if c shows a clock synchronised with a maximum error
// of at most bound, and otherwise why not.
func (c Clock) within(bound time.Duration) error {
	switch c.State {
	case ClockAbsent:
		return errors.New("no clock line (written before checkpoints carried one, or by a writer told to write none)")
	case ClockUnknown:
		return errors.New("clock unknown (the writer could not read the kernel's clock state)")
	case ClockUnsynced:
		return fmt.Errorf("clock unsynchronised (kernel status STA_UNSYNC or TIME_ERROR), maximum error %v", c.MaxError)
	}
	if c.MaxError > bound {
		return fmt.Errorf("clock maximum error %v, more than %v", c.MaxError, bound)
	}
	return nil
}

// The clock line, an extension line of the checkpoint text after its time
// line:
//
//	clock synced max-error=1234us est-error=56us offset=-789ns tai=37s source=chrony
//	clock unsynced max-error=16000000us est-error=16000000us offset=0ns tai=0s source=unknown
//	clock unknown
//
// Fields come in this order, once each; numbers are decimal without leading
// zeros or a plus sign; the source is lowercase letters, digits, '.' and
// '-'. One Clock has one line, so a signed line reads one way only.
const clockPrefix = "clock "

// maxMicros bounds the errors of a clock line, so that they fit a
// time.Duration.
const maxMicros = int64(1<<63-1) / int64(time.Microsecond)

// check reports whether c can be written as a clock line that parses back
// to c.
func (c Clock) check() error {
	switch c.State {
	case ClockAbsent:
		return nil
	case ClockUnknown:
		if c != (Clock{State: ClockUnknown}) {
			return errors.New("an unknown clock carries no readings")
		}
		return nil
	case ClockSynced, ClockUnsynced:
	default:
		return fmt.Errorf("state %d", c.State)
	}
	for _, d := range []time.Duration{c.MaxError, c.EstError} {
		if d < 0 || d%time.Microsecond != 0 {
			return fmt.Errorf("error %v is not a non-negative whole number of microseconds", d)
		}
	}
	if !validSource(c.Source) {
		return fmt.Errorf("source %q: use lowercase letters, digits, '.' and '-'", c.Source)
	}
	return nil
}

func validSource(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		if !('a' <= b && b <= 'z' || '0' <= b && b <= '9' || b == '.' || b == '-') {
			return false
		}
	}
	return true
}

// appendLine appends c's clock line and a newline to dst; nothing for a
// Clock whose State is ClockAbsent. c must pass check.
func (c Clock) appendLine(dst []byte) []byte {
	switch c.State {
	case ClockAbsent:
		return dst
	case ClockUnknown:
		return append(dst, "clock unknown\n"...)
	}
	dst = append(append(dst, clockPrefix...), c.State.String()...)
	dst = append(dst, " max-error="...)
	dst = append(strconv.AppendInt(dst, int64(c.MaxError/time.Microsecond), 10), "us est-error="...)
	dst = append(strconv.AppendInt(dst, int64(c.EstError/time.Microsecond), 10), "us offset="...)
	dst = append(strconv.AppendInt(dst, int64(c.Offset), 10), "ns tai="...)
	dst = append(strconv.AppendInt(dst, c.TAI, 10), "s source="...)
	return append(append(dst, c.Source...), '\n')
}

// parseClockLine parses a clock line (without its newline), as appendLine
// writes it and no other way.
func parseClockLine(line string) (Clock, error) {
	bad := func(why string) (Clock, error) {
		return Clock{}, fmt.Errorf("clock line %q: %s", line, why)
	}
	rest, ok := strings.CutPrefix(line, clockPrefix)
	if !ok {
		return bad(`want "clock " first`)
	}
	if rest == "unknown" {
		return Clock{State: ClockUnknown}, nil
	}
	f := strings.Split(rest, " ")
	if len(f) != 6 {
		return bad(fmt.Sprintf("%d fields, want a state and 5", len(f)))
	}
	var c Clock
	switch f[0] {
	case "synced":
		c.State = ClockSynced
	case "unsynced":
		c.State = ClockUnsynced
	default:
		return bad(fmt.Sprintf("state %q, want synced, unsynced or unknown", f[0]))
	}
	num := func(i int, key, unit string, lo, hi int64) (int64, bool) {
		v, ok := strings.CutPrefix(f[i], key+"=")
		if !ok {
			return 0, false
		}
		v, ok = strings.CutSuffix(v, unit)
		if !ok {
			return 0, false
		}
		n, err := strconv.ParseInt(v, 10, 64)
		return n, err == nil && v == strconv.FormatInt(n, 10) && lo <= n && n <= hi
	}
	const minI, maxI = -1 << 63, 1<<63 - 1
	maxE, ok1 := num(1, "max-error", "us", 0, maxMicros)
	estE, ok2 := num(2, "est-error", "us", 0, maxMicros)
	off, ok3 := num(3, "offset", "ns", minI, maxI)
	tai, ok4 := num(4, "tai", "s", minI, maxI)
	for i, ok := range []bool{ok1, ok2, ok3, ok4} {
		if !ok {
			return bad(fmt.Sprintf("field %d %q, want %s", i+2, f[i+1], [...]string{"max-error=MICROSECONDSus", "est-error=MICROSECONDSus", "offset=NANOSECONDSns", "tai=SECONDSs"}[i]))
		}
	}
	src, ok := strings.CutPrefix(f[5], "source=")
	if !ok || !validSource(src) {
		return bad(fmt.Sprintf("field 6 %q, want source=NAME of lowercase letters, digits, '.' and '-'", f[5]))
	}
	c.MaxError = time.Duration(maxE) * time.Microsecond
	c.EstError = time.Duration(estE) * time.Microsecond
	c.Offset = time.Duration(off)
	c.TAI = tai
	c.Source = src
	return c, nil
}

// ClockSummary sums up the clock lines of a log's checkpoints, as Verify
// found them.
type ClockSummary struct {
	// Checkpoints by the state their clock line states.
	Synced, Unsynced, Unknown, Absent uint64
	// MaxError is the largest maximum error a synchronised checkpoint
	// states, and MaxErrorRecord that checkpoint's record (0: none).
	MaxError       time.Duration
	MaxErrorRecord uint64
	// FirstUnsynced is the record of the first checkpoint that states an
	// unsynchronised clock (0: none).
	FirstUnsynced uint64
	// Sources are the time sources the checkpoints name, each once, in the
	// order they first appear.
	Sources []string
}

// add counts the clock line c of the checkpoint in record seq.
func (s *ClockSummary) add(seq uint64, c Clock) {
	switch c.State {
	case ClockAbsent:
		s.Absent++
	case ClockUnknown:
		s.Unknown++
	case ClockUnsynced:
		s.Unsynced++
		if s.FirstUnsynced == 0 {
			s.FirstUnsynced = seq
		}
	case ClockSynced:
		s.Synced++
		if s.MaxErrorRecord == 0 || c.MaxError > s.MaxError {
			s.MaxError, s.MaxErrorRecord = c.MaxError, seq
		}
	}
	if c.Source != "" && !slices.Contains(s.Sources, c.Source) {
		s.Sources = append(s.Sources, c.Source)
	}
}
