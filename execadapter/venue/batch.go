package venue

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"unsafe"

	"github.com/tinywindow/tinywindow/provider"
)

// BatchDomain prefixes every batch signature message, so that a batch
// signature can never be taken for the signature of an order, an ack, an
// audit checkpoint or anything else signed with the same key.
const BatchDomain = "TinyWindow order batch v1\x00"

// BatchVersion is the version of the batch signature.
const BatchVersion = 1

// Bounds of a batch.
const (
	// MaxBatchLeaves bounds the orders of one batch.
	MaxBatchLeaves = 1 << 16
	// MaxProof bounds the hashes of an inclusion proof: ceil(log2
	// MaxBatchLeaves).
	MaxProof = 16
	// MaxBatch bounds the body of a FrameBatch frame.
	MaxBatch = 1 + 8 + 4 + 32 + 1 + MaxKeyID + 1 + MaxAlgorithm + 8 + 4 + MaxSignature
)

// ErrBatch is matched by every error about a malformed batch signature or
// batch-signed envelope.
var ErrBatch = errors.New("malformed order batch")

// ErrNotInBatch is matched by the error of a batch-signed order that is not
// a leaf of the batch it names: a proof for another batch or another index,
// an index out of range, a proof of the wrong length, another key. It also
// matches provider.ErrInvalidSignature: the order is not signed.
var ErrNotInBatch = fmt.Errorf("%w: the order is not a leaf of its batch", provider.ErrInvalidSignature)

// Batch is a parsed batch signature (the body of a FrameBatch frame); its
// slices alias the parsed bytes.
//
// Layout (all lengths big-endian):
//
//	0    1  version = 1
//	1    8  batch ID, chosen by the signer, unique per key
//	9    4  leaf count N (1 to MaxBatchLeaves)
//	13  32  root: the RFC 6962 tree hash of the N leaves
//	45 1+k  key ID length k (1 to 64), then the key ID
//	.  1+a  algorithm length a (1 to 32), then the algorithm name
//	.    8  time the batch was signed, Unix nanoseconds
//	.  4+s  signature length s (1 to 32768), then the signature
//
// The signature is over BatchDomain followed by every byte before the
// signature length.
type Batch struct {
	ID        uint64
	Leaves    int
	Root      [32]byte
	KeyID     []byte
	Algorithm []byte
	Time      int64
	Signature []byte
	Signed    []byte // the bytes covered by the signature (after BatchDomain)
}

// ParseBatch parses the body of a FrameBatch frame strictly (no trailing
// bytes, every length in bounds). It does not check the signature (see
// VerifyBatch).
func ParseBatch(body []byte, b *Batch) error {
	p := body
	var err error
	take := func(n int, what string) []byte {
		if err != nil {
			return nil
		}
		if n > len(p) {
			err = fmt.Errorf("%w: batch %s: need %d bytes, %d remain", ErrBatch, what, n, len(p))
			return nil
		}
		v := p[:n:n]
		p = p[n:]
		return v
	}
	length := func(lo, hi int, what string) int {
		v := take(1, what+" length")
		if err != nil {
			return 0
		}
		if int(v[0]) < lo || int(v[0]) > hi {
			err = fmt.Errorf("%w: batch %s length %d is outside %d to %d", ErrBatch, what, v[0], lo, hi)
		}
		return int(v[0])
	}
	head := take(45, "header")
	if err != nil {
		return err
	}
	if head[0] != BatchVersion {
		return fmt.Errorf("%w: batch version %d; want %d", ErrBatch, head[0], BatchVersion)
	}
	b.ID = binary.BigEndian.Uint64(head[1:])
	if n := binary.BigEndian.Uint32(head[9:]); n == 0 || n > MaxBatchLeaves {
		return fmt.Errorf("%w: batch %d of %d leaves is outside 1 to %d", ErrBatch, b.ID, n, MaxBatchLeaves)
	} else {
		b.Leaves = int(n)
	}
	copy(b.Root[:], head[13:])
	b.KeyID = take(length(1, MaxKeyID, "key ID"), "key ID")
	b.Algorithm = take(length(1, MaxAlgorithm, "algorithm"), "algorithm")
	if t := take(8, "time"); err == nil {
		b.Time = int64(binary.BigEndian.Uint64(t))
	}
	signedEnd := len(body) - len(p)
	if v := take(4, "signature length"); err == nil {
		if n := binary.BigEndian.Uint32(v); n == 0 || n > MaxSignature {
			err = fmt.Errorf("%w: batch signature length %d is outside 1 to %d", ErrBatch, n, MaxSignature)
		} else {
			b.Signature = take(int(n), "signature")
		}
	}
	if err == nil && len(p) != 0 {
		err = fmt.Errorf("%w: %d trailing bytes after the batch signature", ErrBatch, len(p))
	}
	if err != nil {
		return err
	}
	b.Signed = body[:signedEnd:signedEnd]
	return nil
}

// VerifyBatch checks b's signature with the key named by its key ID in
// keys. The error matches provider.ErrKeyNotFound for an unknown key,
// provider.ErrInvalidSignature for a bad signature (a signature replayed for
// another root, leaf count, batch ID, time or key) or an algorithm that is
// not the key's, and anything else when the verifier could not decide.
func VerifyBatch(ctx context.Context, keys *provider.Keyring, b *Batch) error {
	// The key ID is only read during the lookup; an error copies it.
	v, err := keys.Verifier(unsafe.String(unsafe.SliceData(b.KeyID), len(b.KeyID)))
	if err != nil {
		return fmt.Errorf("batch %d: %w", b.ID, err)
	}
	if string(v.Info().Algorithm) != string(b.Algorithm) {
		return fmt.Errorf("batch %d: %w: it names algorithm %q but key %s is %s", b.ID, provider.ErrInvalidSignature, b.Algorithm, b.KeyID, v.Info().Algorithm)
	}
	msg := make([]byte, 0, len(BatchDomain)+len(b.Signed))
	msg = append(append(msg, BatchDomain...), b.Signed...)
	if err := v.Verify(ctx, msg, b.Signature); err != nil {
		return fmt.Errorf("batch %d: %w", b.ID, err)
	}
	return nil
}
