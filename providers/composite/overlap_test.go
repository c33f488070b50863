package composite

import (
	"testing"
	"time"
)

// TestOverlapGate: the gate overlaps until it has measured overlapping,
// then measures signing in turn, then uses the faster way and tries the
// other once in probeEvery signatures, following a change of which is
// faster.
func TestOverlapGate(t *testing.T) {
	var g overlapGate
	if !g.overlap() {
		t.Fatal("a new gate does not overlap; it must measure overlapping first")
	}
	g.record(true, 200*time.Microsecond)
	if g.overlap() {
		t.Fatal("with only overlapping measured, the gate overlaps again; it must measure signing in turn")
	}
	g.record(false, 100*time.Microsecond)

	// In turn is faster: overlap only on probes.
	if got := overlaps(&g, 10*probeEvery); got != 10 {
		t.Fatalf("in turn faster: %d of %d signatures overlapped, want 10 probes", got, 10*probeEvery)
	}

	// Overlapping becomes faster (say the classical half now waits on the
	// network): the average follows and the preference flips.
	for range 64 {
		g.record(false, 300*time.Microsecond)
	}
	if got := overlaps(&g, 10*probeEvery); got != 10*probeEvery-10 {
		t.Fatalf("overlapping faster: %d of %d signatures overlapped, want all but 10 probes", got, 10*probeEvery)
	}
}

func overlaps(g *overlapGate, n int) int {
	c := 0
	for range n {
		if g.overlap() {
			c++
		}
	}
	return c
}

// TestOverlapGateAverage: the moving average moves by an eighth of the
// difference and never reads as unmeasured.
func TestOverlapGateAverage(t *testing.T) {
	for _, tc := range []struct {
		name  string
		times []time.Duration
		want  int64
	}{
		{"first", []time.Duration{800}, 800},
		{"up", []time.Duration{800, 1600}, 900},
		{"down", []time.Duration{800, 0}, 700},
		{"zero first", []time.Duration{0}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var g overlapGate
			for _, d := range tc.times {
				g.record(false, d)
			}
			if got := g.avg[sequential].Load(); got != tc.want {
				t.Fatalf("average %d, want %d", got, tc.want)
			}
		})
	}
}
