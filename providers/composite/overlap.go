package composite

import (
	"sync/atomic"
	"time"
)

// overlapGate decides whether a composite signature offers its ML-DSA half
// to a second goroutine (see offeredSign) or signs both halves on the
// caller's goroutine, one after the other. Overlapping pays when a second
// thread starts at once, or when the classical half waits on I/O and frees
// the caller's thread; it costs a goroutine, a thread wake-up and cache
// traffic, and on a machine whose idle cores wake slowly (a virtual CPU that
// halts without polling can take 100 µs) it is slower than signing the two
// halves in turn. So the gate keeps a moving average of each way's signing
// time on this key, uses the faster, and tries the other way once in
// probeEvery signatures, so that a change (a backend that starts to block,
// a machine that becomes idle) is followed.
type overlapGate struct {
	// avg holds the moving average signing time in nanoseconds of signatures
	// made one half after the other (sequential) and with the ML-DSA half
	// offered (overlapped); 0 until measured.
	avg   [2]atomic.Int64
	calls atomic.Uint32
}

const (
	sequential = 0
	overlapped = 1

	// probeEvery is how often the gate tries the way it does not prefer.
	probeEvery = 32
	// avgShift sets the moving average's weight of a new time: 1/8.
	avgShift = 3
)

// overlap reports whether the next signature should offer its ML-DSA half.
func (g *overlapGate) overlap() bool {
	seq, ovl := g.avg[sequential].Load(), g.avg[overlapped].Load()
	switch {
	case ovl == 0:
		return true
	case seq == 0:
		return false
	}
	prefer := ovl <= seq
	if g.calls.Add(1)%probeEvery == 0 {
		return !prefer
	}
	return prefer
}

// record adds the time d of a successful signature made the given way.
// Concurrent signatures may lose each other's updates, which only slows the
// average down.
func (g *overlapGate) record(overlap bool, d time.Duration) {
	way := sequential
	if overlap {
		way = overlapped
	}
	ns := max(int64(d), 1)
	old := g.avg[way].Load()
	if old == 0 {
		g.avg[way].Store(ns)
		return
	}
	g.avg[way].Store(old + (ns-old)>>avgShift)
}
