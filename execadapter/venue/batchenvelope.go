package venue

import (
	"encoding/binary"
	"fmt"
	"unsafe"

	"golang.org/x/mod/sumdb/tlog"
)

// BatchEnvelopeVersion is the version of a batch-signed envelope: instead of
// a signature of its own, the order carries its place in a batch whose root
// the key signed once (see Batch).
//
// Layout (all lengths big-endian):
//
//	0    1  version = 2
//	1    1  key ID length k (1 to 64), then k bytes of key ID
//	.    1  algorithm length a (1 to 32), then a bytes of algorithm name
//	.    2  order length n, then n bytes of canonical order (docs/orders.md)
//	.    8  batch ID
//	.    4  leaf index i (0 to N-1, N the batch's leaf count)
//	.    1  proof length p (0 to MaxProof), then p hashes of 32 bytes
//
// The leaf is OrderDomain followed by every byte before the batch ID, as a
// version 1 envelope's signature covers them; its hash is the RFC 6962 leaf
// hash, SHA-256(0x00 || leaf), and the proof is the RFC 6962 inclusion proof
// of leaf i in the batch's tree of N leaves.
const BatchEnvelopeVersion = 2

// batchRefSize is the size of a version 2 envelope's tail before the proof's
// hashes: batch ID, leaf index, proof length.
const batchRefSize = 8 + 4 + 1

// parseBatchRef parses p, the tail of a version 2 envelope after its order,
// into e.
func parseBatchRef(p []byte, e *Envelope) error {
	if len(p) < batchRefSize {
		return fmt.Errorf("%w: batch reference: need %d bytes, %d remain", ErrEnvelope, batchRefSize, len(p))
	}
	e.BatchID = binary.BigEndian.Uint64(p)
	i := binary.BigEndian.Uint32(p[8:])
	if i >= MaxBatchLeaves {
		return fmt.Errorf("%w: leaf index %d of batch %d is over %d", ErrEnvelope, i, e.BatchID, MaxBatchLeaves-1)
	}
	e.Index = int(i)
	n := int(p[12])
	if n > MaxProof {
		return fmt.Errorf("%w: inclusion proof of %d hashes is over %d", ErrEnvelope, n, MaxProof)
	}
	p = p[batchRefSize:]
	if len(p) != n*32 {
		return fmt.Errorf("%w: inclusion proof of %d hashes needs %d bytes; %d remain", ErrEnvelope, n, n*32, len(p))
	}
	e.Proof = p[:len(p):len(p)]
	return nil
}

// appendLeaf appends the leaf of a version 2 envelope whose signed part
// (version to order) is signed: OrderDomain, then signed.
func appendLeaf(dst, signed []byte) []byte {
	return append(append(dst, OrderDomain...), signed...)
}

// LeafHash returns the RFC 6962 leaf hash of the batch-signed envelope e
// (version 2): SHA-256 of 0x00, OrderDomain and e.Signed.
func LeafHash(e *Envelope) [32]byte {
	return tlog.RecordHash(appendLeaf(nil, e.Signed))
}

// CheckLeaf reports whether the parsed version 2 envelope e is leaf e.Index
// of batch b, whose signature the caller has checked (VerifyBatch): it
// names b's ID, key ID and algorithm, its index is below b's leaf count, and
// its proof leads from its leaf hash to b's root. The error matches
// ErrNotInBatch.
func CheckLeaf(b *Batch, e *Envelope) error {
	var scratch [512]byte
	return checkLeaf(b, e, scratch[:0])
}

// checkLeaf is CheckLeaf, building the leaf in buf.
func checkLeaf(b *Batch, e *Envelope, buf []byte) error {
	switch {
	case e.Version != BatchEnvelopeVersion:
		return fmt.Errorf("%w: envelope version %d is not batch-signed", ErrNotInBatch, e.Version)
	case e.BatchID != b.ID:
		return fmt.Errorf("%w: the order names batch %d, not %d", ErrNotInBatch, e.BatchID, b.ID)
	case string(e.KeyID) != string(b.KeyID) || string(e.Algorithm) != string(b.Algorithm):
		return fmt.Errorf("%w: the order names key %q (%s); batch %d is signed by %q (%s)", ErrNotInBatch, e.KeyID, e.Algorithm, b.ID, b.KeyID, b.Algorithm)
	case e.Index >= b.Leaves:
		return fmt.Errorf("%w: leaf index %d is outside batch %d of %d leaves", ErrNotInBatch, e.Index, b.ID, b.Leaves)
	}
	// tlog.Hash is [32]byte: the proof's bytes are its hashes in place.
	proof := unsafe.Slice((*tlog.Hash)(unsafe.Pointer(unsafe.SliceData(e.Proof))), len(e.Proof)/32)
	leaf := tlog.RecordHash(appendLeaf(buf, e.Signed))
	// CheckRecord also refuses a proof of any length but the one of leaf
	// e.Index in a tree of b.Leaves.
	if err := tlog.CheckRecord(proof, int64(b.Leaves), b.Root, int64(e.Index), leaf); err != nil {
		return fmt.Errorf("%w: the proof of leaf %d (%d hashes) does not lead to the root of batch %d of %d leaves", ErrNotInBatch, e.Index, len(proof), b.ID, b.Leaves)
	}
	return nil
}
