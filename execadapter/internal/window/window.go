// Package window remembers short keys (client order IDs) for a sliding time
// window, in memory fixed at construction: a FIFO ring of entries and an
// open-addressing table over it. Add and Contains never allocate.
package window

import (
	"bytes"
	"hash/maphash"
	"unsafe"
)

// MaxKey is the longest key a Set holds.
const MaxKey = 36

type entry struct {
	t    int64
	val  uint64
	h    uint64
	n    uint8
	live bool
	key  [MaxKey]byte
}

// Set is a set of keys, each remembered for Window nanoseconds after it was
// added, and at most Capacity keys at once: when full, the oldest key is
// forgotten early (Evicted counts these). A Set is not safe for concurrent
// use.
type Set struct {
	window  int64
	ring    []entry
	head, n int
	table   []uint64 // low 32 bits of the hash <<32 | (ring index + 1); 0 is empty
	mask    uint64
	seed    maphash.Seed
	Evicted uint64
}

// New returns a Set remembering keys for window nanoseconds, holding at most
// capacity keys (at least 1).
func New(window int64, capacity int) *Set {
	capacity = min(max(capacity, 1), 1<<30) // the table's home slots come from 32 hash bits
	size := 1
	for size < 2*capacity {
		size <<= 1
	}
	return &Set{
		window: window,
		ring:   make([]entry, capacity),
		table:  make([]uint64, size),
		mask:   uint64(size - 1),
		seed:   maphash.MakeSeed(),
	}
}

// Contains reports whether key was added within the window before now.
func (s *Set) Contains(key []byte, now int64) bool {
	i, ok := s.find(key, maphash.Bytes(s.seed, key))
	return ok && s.ring[i].t > now-s.window
}

// Add adds key at time now and reports whether it was already present within
// the window (in which case the set is unchanged). Keys longer than MaxKey
// are truncated to MaxKey bytes for the comparison.
func (s *Set) Add(key []byte, now int64) (dup bool) {
	dup, _ = s.AddValue(key, now, 0)
	return dup
}

// AddValue is Add that also remembers val with the key; for a key already
// present it returns the value remembered with it.
func (s *Set) AddValue(key []byte, now int64, val uint64) (dup bool, old uint64) {
	if len(key) > MaxKey {
		key = key[:MaxKey]
	}
	s.expire(now)
	h := maphash.Bytes(s.seed, key)
	if i, ok := s.find(key, h); ok {
		return true, s.ring[i].val
	}
	if s.n == len(s.ring) {
		s.removeHead()
		s.Evicted++
	}
	idx := (s.head + s.n) % len(s.ring)
	e := &s.ring[idx]
	e.t, e.h, e.n, e.live, e.val = now, h, uint8(len(key)), true, val
	copy(e.key[:], key)
	s.n++
	for slot := h & s.mask; ; slot = (slot + 1) & s.mask {
		if s.table[slot] == 0 {
			s.table[slot] = h<<32 | uint64(idx+1)
			return false, 0
		}
	}
}

// Len returns the number of keys held.
func (s *Set) Len() int { return s.n }

func (s *Set) expire(now int64) {
	for s.n > 0 && s.ring[s.head].t <= now-s.window {
		s.removeHead()
	}
}

func (s *Set) find(key []byte, h uint64) (int, bool) {
	for slot := h & s.mask; ; slot = (slot + 1) & s.mask {
		v := s.table[slot]
		if v == 0 {
			return 0, false
		}
		if v>>32 != h&0xffffffff { // fingerprints differ: skip the ring
			continue
		}
		i := int(uint32(v)) - 1
		e := &s.ring[i]
		if e.h == h && int(e.n) == len(key) && bytes.Equal(e.key[:e.n], key) {
			return i, true
		}
	}
}

func (s *Set) removeHead() {
	idx := s.head
	e := &s.ring[idx]
	slot := e.h & s.mask
	for uint32(s.table[slot]) != uint32(idx+1) {
		slot = (slot + 1) & s.mask
	}
	s.deleteSlot(slot)
	e.live = false
	s.head = (s.head + 1) % len(s.ring)
	s.n--
}

// deleteSlot empties slot i and shifts later entries of its probe run back,
// so that lookups need no tombstones.
func (s *Set) deleteSlot(i uint64) {
	for {
		s.table[i] = 0
		j := i
		for {
			j = (j + 1) & s.mask
			v := s.table[j]
			if v == 0 {
				return
			}
			k := (v >> 32) & s.mask // the home slot, from the table alone
			// Leave the entry at j if its home k lies cyclically in (i, j].
			if (i <= j && i < k && k <= j) || (i > j && (i < k || k <= j)) {
				continue
			}
			s.table[i] = v
			i = j
			break
		}
	}
}

// Prefault writes every page of the set's memory (about 72 bytes per unit of
// capacity), so that the kernel maps it now rather than page by page, each
// with a page fault, in the Adds that first reach it. The memory stays
// committed.
func (s *Set) Prefault() {
	// A set's ring fills a fresh page every 64 keys, and its table's pages
	// are reached at random: on a fresh set a few percent of Adds would
	// otherwise pay a fault.
	prefault(s.ring)
	prefault(s.table)
}

// prefault writes the zero value into one element of each page of a: the
// elements are zero already.
func prefault[T any](a []T) {
	var zero T
	step := max(1, pageSize/int(unsafe.Sizeof(zero)))
	for i := 0; i < len(a); i += step {
		a[i] = zero
	}
}

// pageSize is the smallest page size of the platforms Go runs on.
const pageSize = 4096
