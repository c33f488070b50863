package audit

import (
	"math/bits"

	"golang.org/x/mod/sumdb/tlog"
)

// tree is the right edge of the log's Merkle tree (RFC 6962, as
// golang.org/x/mod/sumdb/tlog defines it): the roots of its complete
// subtrees, one per set bit of its size. Appending a leaf costs one
// tlog.NodeHash per subtree it completes (one on average) and never
// allocates; the tests check every size against tlog.TreeHash and the
// stored hashes against tlog.StoredHashes.
type tree struct {
	n    int64
	edge [64]tlog.Hash // edge[l]: root of the complete subtree of height l, if bit l of n is set
}

// append adds leaf hash h and calls store with the hashes tlog stores for
// the new leaf, in tlog's order (the leaf, then each completed subtree), if
// store is not nil.
func (t *tree) append(h tlog.Hash, store func(tlog.Hash)) {
	if store != nil {
		store(h)
	}
	l := 0
	for ; t.n>>l&1 == 1; l++ {
		h = tlog.NodeHash(t.edge[l], h)
		if store != nil {
			store(h)
		}
	}
	t.edge[l] = h
	t.n++
}

// root returns the tree hash (tlog.TreeHash) of the leaves so far.
func (t *tree) root() tlog.Hash {
	if t.n == 0 {
		return tlog.Hash{}
	}
	l := bits.TrailingZeros64(uint64(t.n))
	h := t.edge[l]
	for l++; l < 64; l++ {
		if t.n>>l&1 == 1 {
			h = tlog.NodeHash(t.edge[l], h)
		}
	}
	return h
}
