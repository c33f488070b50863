package venue

import (
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
}

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
