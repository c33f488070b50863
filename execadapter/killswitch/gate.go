package killswitch

import (
	"runtime"
	"sync/atomic"
	"time"
)

// gate counts the orders between Enter and Leave in two counters, one per
// parity of the epoch. A kill publishes its snapshot, then drains: it
// advances the epoch, which sends later orders to the other counter, and
// waits for the counter of the epoch it closed to reach zero. An order
// counts itself, re-reads the epoch (if it moved, it counts itself again
// under the new one) and only then loads the snapshot. Go's atomics are
// sequentially consistent, so an order the drain did not wait for loaded
// the snapshot after the drain read zero, which is after the kill was
// published: it sees the kill. Re-reading the epoch keeps an order that read
// it just before a drain from counting itself under a counter already
// drained.
type gate struct {
	epoch atomic.Uint64
	_     [56]byte // keeps the counters off the epoch's cache line
	in    [2]paddedCount
}

type paddedCount struct {
	n atomic.Int64
	_ [56]byte
}

// Pass is an order's passage through the check, from [Switch.Enter] to
// [Pass.Leave].
type Pass struct{ n *atomic.Int64 }

// Leave ends the passage: call it once, when the order is signed or has
// failed. A kill waits for every order that passed before it to leave.
func (p Pass) Leave() { p.n.Add(-1) }

// Enter checks an order of account and symbol against the kills in force.
// It returns the kill that stops the order, or nil and a [Pass] that the
// caller must [Pass.Leave] once the order is signed or has failed (never
// before it is signed: a kill waits only for orders that have not left).
// With a kill, the Pass is the zero Pass, which must not be left. Enter
// takes no lock and does not allocate. The returned kill must not be
// changed.
func (s *Switch) Enter(account, symbol []byte) (Pass, *Kill) {
	for {
		e := s.g.epoch.Load()
		c := &s.g.in[e&1].n
		c.Add(1)
		if s.g.epoch.Load() != e {
			c.Add(-1) // a drain began in between: count under the new epoch
			continue
		}
		if sn := s.snap.Load(); sn != nil {
			if k := sn.match(account, symbol); k != nil {
				c.Add(-1)
				s.refused.Add(1)
				return Pass{}, k
			}
		}
		return Pass{c}, nil
	}
}

// drain closes the current epoch and returns once every order counted
// under it has left; it returns how many were counted when it began. The
// caller holds pubMu.
func (g *gate) drain() int64 {
	c := &g.in[(g.epoch.Add(1)-1)&1].n
	n := c.Load()
	// The orders being waited for are being signed: a few microseconds
	// with a local key, a round trip with a remote one. Yield first, then
	// sleep, so that a slow signer does not cost a spinning CPU.
	for i := 0; c.Load() > 0; i++ {
		if i < 1000 {
			runtime.Gosched()
		} else {
			time.Sleep(20 * time.Microsecond)
		}
	}
	return n
}
