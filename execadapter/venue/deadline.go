package venue

import "time"

// lazyDeadline is a connection's timeout as a deadline that is between d
// and 3d/2 ahead of each operation it bounds: it is moved, to 3d/2 ahead,
// only when less than d is left, so that most operations pay a clock read
// and not the setting of a deadline on the connection.
type lazyDeadline struct{ at time.Time }

// next returns the deadline of an operation starting at now.
func (l *lazyDeadline) next(now time.Time, d time.Duration) time.Time {
	if l.at.Sub(now) < d {
		l.at = now.Add(d + d/2)
	}
	return l.at
}
