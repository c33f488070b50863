package composite

import "testing"

// TestOverlapGate: the gate offers every signature until maxMisses offers
// in a row are taken back, then one in probeEvery, and every signature
// again once an offer is taken up.
func TestOverlapGate(t *testing.T) {
	var g overlapGate
	for i := range maxMisses {
		if !g.overlap() {
			t.Fatalf("signature %d not offered after %d misses; want offers until %d misses", i, i, maxMisses)
		}
		g.record(false)
	}
	offered := 0
	for range 10 * probeEvery {
		if g.overlap() {
			offered++
			g.record(false)
		}
	}
	if offered != 10 {
		t.Fatalf("shut gate: %d of %d signatures offered, want 10 probes", offered, 10*probeEvery)
	}

	// A probe is taken up (say the classical half now waits on the
	// network): every signature is offered again.
	for !g.overlap() {
	}
	g.record(true)
	for i := range 3 * probeEvery {
		if !g.overlap() {
			t.Fatalf("signature %d after an offer was taken up: not offered", i)
		}
		g.record(true)
	}

	// Misses short of maxMisses, interrupted by a take-up, keep it open.
	for range maxMisses - 1 {
		g.record(false)
	}
	g.record(true)
	for range maxMisses - 1 {
		g.record(false)
	}
	if !g.overlap() {
		t.Fatal("gate shut after fewer than maxMisses misses in a row")
	}
}
