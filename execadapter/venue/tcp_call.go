package venue

import (
	"errors"
	"sync"

	"github.com/tinywindow/tinywindow/execadapter/order"
)

// callKey is a client order ID as a map key that costs no allocation.
type callKey struct {
	n  uint8
	id [order.MaxClientOrderID]byte
}

func keyOf(id []byte) (callKey, bool) {
	var k callKey
	if len(id) > len(k.id) {
		return k, false
	}
	k.n = uint8(len(id))
	copy(k.id[:], id)
	return k, true
}

// call is an order in flight: its ack (or failure) arrives on ch.
type call struct {
	ch  chan result
	gen uint64
	seq uint64 // which registration: calls are reused (callPool)

	// While queued (TCP.send), the order's frames to write; guarded by the
	// connection's wmu.
	queued          bool
	batchID         uint64
	batch, envelope []byte
}

// unqueue marks c out of its connection's queue; wmu is held.
func (c *call) unqueue() {
	c.queued, c.batch, c.envelope = false, nil, nil
}

// errResend answers an order that was still queued when its connection
// dropped: nothing of it was written, so it may go on the next one.
var errResend = errors.New("venue: the connection dropped before the order was written")

type result struct {
	ack Ack
	err error
}

var (
	callPool  = sync.Pool{New: func() any { return &call{ch: make(chan result, 1)} }}
	framePool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}
)

// remove deletes the pending call c of key and reports whether it was there.
func (t *TCP) remove(key callKey, c *call) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.pending[key] == c {
		delete(t.pending, key)
		return true
	}
	return false
}

// forget withdraws the call c of key, whose order no longer waits for an
// ack, and returns c to the pool. If a drop of the connection took c first,
// the answer the drop gave it is discarded.
func (t *TCP) forget(key callKey, c *call) {
	if !t.remove(key, c) {
		<-c.ch
	}
	callPool.Put(c)
}
