package venue

import (
	"testing"
	"time"
)

// TestLazyDeadline: the deadline given for each moment is between d and
// 3d/2 after it, and moves only when less than d is left.
func TestLazyDeadline(t *testing.T) {
	const d = 100 * time.Millisecond
	t0 := time.Unix(1700000000, 0)
	var l lazyDeadline
	prev := time.Time{}
	moves := 0
	for step := time.Duration(0); step <= 10*d; step += d / 10 {
		now := t0.Add(step)
		dl := l.next(now, d)
		if left := dl.Sub(now); left < d || left > d+d/2 {
			t.Fatalf("at %v: deadline %v ahead; want between %v and %v", step, left, d, d+d/2)
		}
		if !dl.Equal(prev) {
			if !prev.IsZero() && prev.Sub(now) >= d {
				t.Fatalf("at %v: moved with %v left", step, prev.Sub(now))
			}
			moves++
			prev = dl
		}
	}
	if moves > 21 { // about once per d/2 over 10d
		t.Fatalf("moved %d times in 10d", moves)
	}
}
