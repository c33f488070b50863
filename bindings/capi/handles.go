package main

import (
	"fmt"
	"maps"
	"sync"
	"sync/atomic"

	"github.com/tinywindow/tinywindow/provider"
)

// handles maps the integer handles given to C to the keys they name. Lookups
// are on every sign and verify, opens and closes are rare: the map is copied
// on write and read with one atomic load, so lookups neither lock nor
// allocate.
type handles struct {
	mu   sync.Mutex // serialises writers
	next uint64     // last handle given out; guarded by mu
	m    atomic.Pointer[map[uint64]provider.Key]
}

var table handles

// add stores key and returns its new handle. Handles start at 1 and are never
// reused, so a stale handle can never reach another key.
func (t *handles) add(key provider.Key) uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.next++
	h := t.next
	m := make(map[uint64]provider.Key, t.len()+1)
	if old := t.m.Load(); old != nil {
		maps.Copy(m, *old)
	}
	m[h] = key
	t.m.Store(&m)
	return h
}

// get returns the key for h.
func (t *handles) get(h uint64) (provider.Key, error) {
	if m := t.m.Load(); m != nil {
		if k, ok := (*m)[h]; ok {
			return k, nil
		}
	}
	return nil, t.unknown(h)
}

// remove deletes h and returns its key.
func (t *handles) remove(h uint64) (provider.Key, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	old := t.m.Load()
	if old == nil {
		return nil, t.unknown(h)
	}
	k, ok := (*old)[h]
	if !ok {
		return nil, t.unknown(h)
	}
	m := maps.Clone(*old)
	delete(m, h)
	t.m.Store(&m)
	return k, nil
}

func (t *handles) len() int {
	if m := t.m.Load(); m != nil {
		return len(*m)
	}
	return 0
}

// unknown reports a handle that is not open: closed already, or never
// returned by tw_open. Both are use after close from the caller's side.
func (t *handles) unknown(h uint64) error {
	if h == 0 {
		return fmt.Errorf("%w: handle 0 is never a key; open one with tw_open", errInvalidArgument)
	}
	return fmt.Errorf("%w: handle %d is not open (it was closed, or tw_open never returned it)", provider.ErrClosed, h)
}
