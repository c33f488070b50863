package venue

import (
	"fmt"

	"golang.org/x/mod/sumdb/tlog"
)

// batchTree is the Merkle tree of one batch's leaf hashes, hashed as RFC
// 6962 and golang.org/x/mod/sumdb/tlog define it (as the audit log's tree
// is): it keeps tlog's stored hashes, so that tlog computes its root and
// proofs.
type batchTree struct {
	n      int64
	stored []tlog.Hash
}

// ReadHashes returns the stored hashes at indexes (tlog.HashReader).
func (t *batchTree) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(t.stored)) {
			return nil, fmt.Errorf("batch tree of %d leaves has no stored hash %d", t.n, x)
		}
		out[i] = t.stored[x]
	}
	return out, nil
}

// add appends a leaf hash.
func (t *batchTree) add(h tlog.Hash) error {
	hs, err := tlog.StoredHashesForRecordHash(t.n, h, t)
	if err != nil {
		return err
	}
	t.stored = append(t.stored, hs...)
	t.n++
	return nil
}

// root returns the tree hash.
func (t *batchTree) root() (tlog.Hash, error) { return tlog.TreeHash(t.n, t) }

// prove returns the inclusion proof of leaf i.
func (t *batchTree) prove(i int64) (tlog.RecordProof, error) { return tlog.ProveRecord(t.n, i, t) }
