package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/tinywindow/tinywindow/execadapter/demo"
)

// progressLine shows a run's progress on one line of a terminal: nothing
// for the first second (a short run prints only its summary), then at most
// ten updates a second, each overwriting the last, and the line cleared at
// the end so the summary starts on a clean line.
type progressLine struct {
	w       io.Writer
	now     func() time.Time
	start   time.Time
	last    time.Time
	printed bool
}

// progressDelay is how long a run goes before its progress shows (a
// variable for the tests), and progressPeriod the least time between two
// updates.
var progressDelay = time.Second

const progressPeriod = 100 * time.Millisecond

// newProgressLine returns a progress line on w, or nil when w is not a
// terminal: progress is for a person watching, never for a pipe or a file.
func newProgressLine(w io.Writer) *progressLine {
	if !isTerminal(w) {
		return nil
	}
	return &progressLine{w: w, now: time.Now, start: time.Now()}
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// update shows p, unless the run is younger than progressDelay or the last
// update is younger than progressPeriod.
func (l *progressLine) update(p demo.Progress) {
	now := l.now()
	if now.Sub(l.start) < progressDelay || (l.printed && now.Sub(l.last) < progressPeriod) {
		return
	}
	l.last, l.printed = now, true
	if p.Phase != demo.PhaseOrders {
		fmt.Fprintf(l.w, "\r\x1b[K  %s (%d orders sent)", p.Phase, p.Done)
		return
	}
	elapsed := now.Sub(l.start)
	rate := float64(p.Done) / elapsed.Seconds()
	line := fmt.Sprintf("\r\x1b[K  %d of %d orders (%d%%), %.0f orders/s", p.Done, p.Total, p.Done*100/max(p.Total, 1), rate)
	if rate > 0 && p.Done < p.Total {
		left := time.Duration(float64(p.Total-p.Done) / rate * float64(time.Second))
		line += fmt.Sprintf(", about %v left", left.Round(time.Second))
	}
	io.WriteString(l.w, line)
}

// done clears the line, if anything was shown; a nil l does nothing.
func (l *progressLine) done() {
	if l != nil && l.printed {
		io.WriteString(l.w, "\r\x1b[K")
	}
}
