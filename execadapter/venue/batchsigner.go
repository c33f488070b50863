package venue

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"sync/atomic"

	"github.com/tinywindow/tinywindow/execadapter/order"
	"github.com/tinywindow/tinywindow/provider"
	"golang.org/x/mod/sumdb/tlog"
)

// BatchSigner signs orders in batches: one signature per batch, over the
// root of the Merkle tree of the batch's orders (see Batch and
// BatchEnvelopeVersion). It is safe for concurrent use.
type BatchSigner struct {
	signer provider.Signer
	label  []byte // key ID and algorithm, each after its length
	next   atomic.Uint64
}

// SignedBatch is a signed batch: its FrameBatch body and, for each order
// given to BatchSigner.Sign, in the same order, its version 2 envelope.
type SignedBatch struct {
	ID        uint64
	Body      []byte
	Envelopes [][]byte
}

// NewBatchSigner returns a BatchSigner for signer. Its batch IDs start at a
// random number and count up, so that two signers of one key (two processes,
// a restart) do not reuse an ID in practice.
func NewBatchSigner(signer provider.Signer) (*BatchSigner, error) {
	label, err := appendKeyLabel(nil, signer.Info())
	if err != nil {
		return nil, err
	}
	s := &BatchSigner{signer: signer, label: label}
	var b [8]byte
	rand.Read(b[:])
	s.next.Store(binary.BigEndian.Uint64(b[:]))
	return s, nil
}

// Sign signs the canonical orders as one batch stamped now (Unix
// nanoseconds): 1 to MaxBatchLeaves orders, each at most order.MaxSize
// bytes. It does not check the orders inside.
func (s *BatchSigner) Sign(ctx context.Context, orders [][]byte, now int64) (*SignedBatch, error) {
	if len(orders) == 0 || len(orders) > MaxBatchLeaves {
		return nil, fmt.Errorf("%w: a batch of %d orders is outside 1 to %d", ErrBatch, len(orders), MaxBatchLeaves)
	}
	id := s.next.Add(1)
	size := 0
	for _, o := range orders {
		if len(o) > order.MaxSize {
			return nil, fmt.Errorf("%w: order of %d bytes is over %d", ErrEnvelope, len(o), order.MaxSize)
		}
		size += len(OrderDomain) + 1 + len(s.label) + 2 + len(o)
	}
	// The leaves, one after another in one buffer: OrderDomain, version 2,
	// key label, order length, order.
	leaves := make([]byte, 0, size)
	ends := make([]int, len(orders))
	t := &batchTree{stored: make([]tlog.Hash, 0, 2*len(orders))}
	for i, o := range orders {
		start := len(leaves)
		leaves = append(append(leaves, OrderDomain...), BatchEnvelopeVersion)
		leaves = append(leaves, s.label...)
		leaves = binary.BigEndian.AppendUint16(leaves, uint16(len(o)))
		leaves = append(leaves, o...)
		ends[i] = len(leaves)
		if err := t.add(tlog.RecordHash(leaves[start:])); err != nil {
			return nil, err
		}
	}
	root, err := t.root()
	if err != nil {
		return nil, err
	}
	body, err := s.signRoot(ctx, id, len(orders), root, now)
	if err != nil {
		return nil, err
	}
	sb := &SignedBatch{ID: id, Body: body, Envelopes: make([][]byte, len(orders))}
	start := 0
	for i, end := range ends {
		proof, err := t.prove(int64(i))
		if err != nil {
			return nil, err
		}
		leaf := leaves[start+len(OrderDomain) : end]
		env := make([]byte, 0, len(leaf)+batchRefSize+32*len(proof))
		env = append(env, leaf...)
		env = binary.BigEndian.AppendUint64(env, id)
		env = binary.BigEndian.AppendUint32(env, uint32(i))
		env = append(env, byte(len(proof)))
		for _, h := range proof {
			env = append(env, h[:]...)
		}
		sb.Envelopes[i] = env
		start = end
	}
	return sb, nil
}

// signRoot signs the batch's root and returns the FrameBatch body.
func (s *BatchSigner) signRoot(ctx context.Context, id uint64, leaves int, root tlog.Hash, now int64) ([]byte, error) {
	m := make([]byte, 0, len(BatchDomain)+45+len(s.label)+8+4+4096)
	m = append(append(m, BatchDomain...), BatchVersion)
	m = binary.BigEndian.AppendUint64(m, id)
	m = binary.BigEndian.AppendUint32(m, uint32(leaves))
	m = append(m, root[:]...)
	m = append(m, s.label...)
	m = binary.BigEndian.AppendUint64(m, uint64(now))
	signedEnd := len(m)
	m = append(m, 0, 0, 0, 0)
	m, err := provider.SignAppend(ctx, s.signer, m, m[:signedEnd])
	if err != nil {
		return nil, fmt.Errorf("signing batch %d: %w", id, err)
	}
	sigLen := len(m) - signedEnd - 4
	if sigLen <= 0 || sigLen > MaxSignature {
		return nil, fmt.Errorf("signing batch %d: %w: signature of %d bytes is outside 1 to %d", id, provider.ErrUnsupported, sigLen, MaxSignature)
	}
	binary.BigEndian.PutUint32(m[signedEnd:], uint32(sigLen))
	return m[len(BatchDomain):], nil
}
