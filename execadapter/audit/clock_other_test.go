//go:build !linux

package audit

import "testing"

// TestReadClockUnknown: outside Linux the clock's state is unknown.
func TestReadClockUnknown(t *testing.T) {
	if c := ReadClock(); c != (Clock{State: ClockUnknown}) {
		t.Fatalf("ReadClock() = %+v, want unknown", c)
	}
}
