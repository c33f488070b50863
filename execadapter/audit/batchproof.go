package audit

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"golang.org/x/mod/sumdb/note"

	"github.com/tinywindow/tinywindow/execadapter/venue"
	"github.com/tinywindow/tinywindow/provider"
)

// OrderProof shows one record of a log and, when it is a batch-signed
// order (a version 2 envelope, docs/orders.md), the record of its batch's
// signature (TypeBatch), each with its inclusion proof: together the order,
// its place in its batch and the batch signature, checkable offline.
type OrderProof struct {
	Record *Proof
	Batch  *Proof // nil unless Record is a batch-signed order
}

// ErrOrderNotSigned is matched by the error of [OrderProof.Check] when the
// order key did not sign the proved order (nor its batch): the signature is
// invalid or names another key.
var ErrOrderNotSigned = errors.New("the order is not signed by the order key")

// orderSigErr wraps err, an order's or its batch's failed verification:
// with ErrOrderNotSigned too when it is a verdict, not an outage.
func orderSigErr(err error, format string, args ...any) error {
	if errors.Is(err, provider.ErrInvalidSignature) || errors.Is(err, provider.ErrKeyNotFound) {
		return fmt.Errorf(format+": %w: %w", append(args, ErrOrderNotSigned, err)...)
	}
	return fmt.Errorf(format+": %w", append(args, err)...)
}

// MaxBatchDistance bounds how many records before a batch-signed order
// [ProveOrder] looks for the record of its batch's signature.
const MaxBatchDistance = 1 << 20

// ProveOrder returns the proof of record seq of the log at path (see
// [Prove]) and, if it is a batch-signed order, the proof of the nearest
// record before it of its batch's signature.
func ProveOrder(path string, seq uint64) (*OrderProof, error) {
	p, err := Prove(path, seq)
	if err != nil {
		return nil, err
	}
	op := &OrderProof{Record: p}
	env, ok := batchSigned(p)
	if !ok {
		return op, nil
	}
	for n := seq - 1; n > 0 && seq-n <= MaxBatchDistance; n-- {
		bp, err := Prove(path, n)
		if err != nil {
			return nil, err
		}
		if Type(bp.Record[lenSize]) != TypeBatch {
			continue
		}
		var b venue.Batch
		if venue.ParseBatch(bp.Record[lenSize+headSize:], &b) == nil && b.ID == env.BatchID {
			op.Batch = bp
			return op, nil
		}
	}
	return nil, fmt.Errorf("audit log %s: record %d is an order of batch %d, whose signature is in none of the %d records before it", path, seq, env.BatchID, min(seq-1, MaxBatchDistance))
}

// batchSigned returns the envelope of p's record if it is a batch-signed
// order.
func batchSigned(p *Proof) (venue.Envelope, bool) {
	var e venue.Envelope
	if len(p.Record) < lenSize+headSize || Type(p.Record[lenSize]) != TypeOrder {
		return e, false
	}
	if venue.ParseEnvelope(p.Record[lenSize+headSize:], &e) != nil || e.Version != venue.BatchEnvelopeVersion {
		return e, false
	}
	return e, true
}

// Marshal encodes op as the record's proof followed, for a batch-signed
// order, by its batch's (see [Proof.Marshal]).
func (op *OrderProof) Marshal() []byte {
	b := op.Record.Marshal()
	if op.Batch != nil {
		b = append(b, op.Batch.Marshal()...)
	}
	return b
}

// ParseOrderProof decodes a proof that [OrderProof.Marshal] encoded: one
// proof, or two.
func ParseOrderProof(b []byte) (*OrderProof, error) {
	first, second := b, []byte(nil)
	if i := bytes.Index(b[min(len(b), 1):], []byte("\n"+proofHeader)); i >= 0 {
		first, second = b[:i+2], b[i+2:]
	}
	p, err := ParseProof(first)
	if err != nil {
		return nil, err
	}
	op := &OrderProof{Record: p}
	if second != nil {
		if op.Batch, err = ParseProof(second); err != nil {
			return nil, err
		}
	}
	return op, nil
}

// Check verifies op's proofs with the checkpoint verifiers (see
// [Proof.Check]) and returns the record and the checkpoint. For a
// batch-signed order, the batch's proof must be of a batch record before
// the order, of the batch the order names, and the order must be a leaf of
// it (venue.CheckLeaf); otherwise the error matches ErrCorrupt. With
// orderKeys, it also checks the order's signature (a version 1 envelope's
// own, or the batch's signature): the error then matches ErrOrderNotSigned
// and provider.ErrInvalidSignature or provider.ErrKeyNotFound, or is the
// verifier's own when it could not decide. Without orderKeys, nothing says the order key signed it.
func (op *OrderProof) Check(ctx context.Context, vs note.Verifiers, orderKeys *provider.Keyring) (Record, Checkpoint, error) {
	rec, c, err := op.Record.Check(vs)
	if err != nil {
		return rec, c, err
	}
	env, batched := batchSigned(op.Record)
	switch {
	case batched && op.Batch == nil:
		return rec, c, fmt.Errorf("%w: record %d is an order of batch %d, and the proof lacks the batch's record", ErrCorrupt, rec.Seq, env.BatchID)
	case !batched && op.Batch != nil:
		return rec, c, fmt.Errorf("%w: record %d is not a batch-signed order, and the proof holds a batch record", ErrCorrupt, rec.Seq)
	case !batched:
		if orderKeys == nil || rec.Type != TypeOrder {
			return rec, c, nil
		}
		var e venue.Envelope
		if err := venue.ParseEnvelope(rec.Payload, &e); err != nil {
			return rec, c, fmt.Errorf("%w: record %d: %w", ErrCorrupt, rec.Seq, err)
		}
		if err := venue.NewOpener(orderKeys).Verify(ctx, &e); err != nil {
			return rec, c, orderSigErr(err, "record %d", rec.Seq)
		}
		return rec, c, nil
	}
	brec, _, err := op.Batch.Check(vs)
	if err != nil {
		return rec, c, err
	}
	var b venue.Batch
	if brec.Type != TypeBatch || brec.Seq >= rec.Seq {
		return rec, c, fmt.Errorf("%w: record %d is a %s record, not the batch record before order record %d", ErrCorrupt, brec.Seq, brec.Type, rec.Seq)
	}
	if err := venue.ParseBatch(brec.Payload, &b); err != nil {
		return rec, c, fmt.Errorf("%w: record %d: %w", ErrCorrupt, brec.Seq, err)
	}
	if err := venue.CheckLeaf(&b, &env); err != nil {
		return rec, c, fmt.Errorf("%w: record %d: %w", ErrCorrupt, rec.Seq, err)
	}
	if orderKeys != nil {
		if err := venue.VerifyBatch(ctx, orderKeys, &b); err != nil {
			return rec, c, orderSigErr(err, "record %d: the signature of its batch, record %d", rec.Seq, brec.Seq)
		}
	}
	return rec, c, nil
}
