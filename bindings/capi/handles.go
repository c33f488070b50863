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
	m    atomic.Pointer[map[uint64]*entry]
}

// entry is one open key. Calls hold inUse for reading while they use the key;
// close takes it for writing, so a key is never closed under a call still
// using it (a backend may zero its secret in Close).
type entry struct {
	inUse sync.RWMutex
	key   provider.Key
}

// use runs fn with the key of handle h, which Close cannot close meanwhile.
func (t *handles) use(h uint64, fn func(provider.Key) error) error {
	e, err := t.get(h)
	if err != nil {
		return err
	}
	e.inUse.RLock()
	defer e.inUse.RUnlock()
	return fn(e.key)
}

var table handles

// add stores key and returns its new handle. Handles start at 1 and are never
// reused, so a stale handle can never reach another key.
func (t *handles) add(key provider.Key) uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.next++
	h := t.next
	m := make(map[uint64]*entry, t.len()+1)
	if old := t.m.Load(); old != nil {
		maps.Copy(m, *old)
	}
	m[h] = &entry{key: key}
	t.m.Store(&m)
	return h
}

// get returns the entry for h.
func (t *handles) get(h uint64) (*entry, error) {
	if m := t.m.Load(); m != nil {
		if k, ok := (*m)[h]; ok {
			return k, nil
		}
	}
	return nil, t.unknown(h)
}

// remove deletes h and returns its entry. Calls that found the entry before
// may still be using its key.
func (t *handles) remove(h uint64) (*entry, error) {
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
