package composite

import "sync/atomic"

// overlapGate decides whether a composite signature offers its ML-DSA half
// to a second goroutine (see offeredSign) or signs both halves on the
// caller's goroutine, one after the other. An offer pays only when the
// second goroutine starts before the caller has finished the classical half
// (a thread is free at once, or the classical half waits on I/O and frees
// the caller's); otherwise the caller takes the half back, having paid for a
// goroutine and a thread wake-up for nothing. On a machine whose idle cores
// wake slowly (a virtual CPU that halts without polling can take 100 µs)
// that is every offer. So after maxMisses offers in a row taken back, the
// gate offers only one signature in probeEvery, and it offers every
// signature again as soon as one offer is taken up.
//
// The gate judges by whether the offer was taken up rather than by signing
// times, because an ML-DSA signature's own time varies more from one
// signature to the next (rejection sampling) than the cost of an offer.
type overlapGate struct {
	misses atomic.Uint32 // offers in a row the caller took back, at most maxMisses
	calls  atomic.Uint32 // signatures while the gate is shut, for probing
}

const (
	maxMisses  = 8
	probeEvery = 32
)

// overlap reports whether the next signature should offer its ML-DSA half.
func (g *overlapGate) overlap() bool {
	if g.misses.Load() < maxMisses {
		return true
	}
	return g.calls.Add(1)%probeEvery == 0
}

// record notes whether an offered half was taken up by the second goroutine
// before the caller finished its own.
func (g *overlapGate) record(takenUp bool) {
	if takenUp {
		g.misses.Store(0)
		return
	}
	if g.misses.Load() < maxMisses {
		g.misses.Add(1)
	}
}
