package audit

import (
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// readClock reads adjtimex(2) with modes 0, which changes nothing, and
// names the time daemon found in the root file system.
func readClock() Clock {
	var tx unix.Timex
	state, err := unix.Adjtimex(&tx)
	if err != nil {
		return Clock{State: ClockUnknown}
	}
	c := clockOfTimex(state, &tx)
	c.Source = clockSource(os.DirFS("/"))
	return c
}

// clockOfTimex converts what adjtimex returned, its clock state and tx, to
// a Clock without a source. The clock is unsynchronised when the state is
// TIME_ERROR or the status holds STA_UNSYNC; maxerror and esterror are
// microseconds, the offset nanoseconds with STA_NANO and microseconds
// without.
func clockOfTimex(state int, tx *unix.Timex) Clock {
	c := Clock{State: ClockSynced, TAI: int64(tx.Tai)}
	if state == unix.TIME_ERROR || tx.Status&unix.STA_UNSYNC != 0 {
		c.State = ClockUnsynced
	}
	c.MaxError = micros(int64(tx.Maxerror))
	c.EstError = micros(int64(tx.Esterror))
	c.Offset = time.Duration(tx.Offset)
	if tx.Status&unix.STA_NANO == 0 {
		c.Offset = time.Duration(tx.Offset) * time.Microsecond // the kernel keeps it within ±0.5s
	}
	return c
}

// micros returns n microseconds, n clamped to [0, maxMicros].
func micros(n int64) time.Duration {
	return time.Duration(min(max(n, 0), maxMicros)) * time.Microsecond
}
