package composite

import (
	"context"
	"crypto/sha512"
	"errors"
	"fmt"

	"github.com/tinywindow/tinywindow/internal/stdverify"
	"github.com/tinywindow/tinywindow/provider"
)

// Verify checks a composite signature of msg: both components must verify.
// It returns an error matching ErrInvalidSignature when the signature is
// malformed or either component rejects its half, and another error (such
// as ErrUnavailable) when a component could not decide and the other did not
// reject.
func (k *Key) Verify(ctx context.Context, msg, sig []byte) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w: %w", provider.ErrUnavailable, err)
	}
	k.mu.RLock()
	defer k.mu.RUnlock()
	if k.closed {
		return k.errClosed()
	}
	if len(sig) <= k.c.mldsaSignatureSize {
		return fmt.Errorf("%w: %s signature is %d bytes, not longer than its %d-byte ML-DSA half", provider.ErrInvalidSignature, k.c.name, len(sig), k.c.mldsaSignatureSize)
	}
	pqSig, tradSig := sig[:k.c.mldsaSignatureSize], sig[k.c.mldsaSignatureSize:]
	alg := k.c.classical.alg
	if err := stdverify.CheckSize(alg, stdverify.Size(alg, k.pub.Classical), tradSig); err != nil {
		return fmt.Errorf("%s: classical component: %w", k.c.name, err)
	}
	var buf [len(prefix) + 64 + 1 + sha512.Size]byte
	mp := k.c.messageRepresentative(buf[:0], msg)
	var pqErr, tradErr error
	if k.pq != nil {
		pqErr = k.pq.Verify(ctx, mp, pqSig)
		tradErr = k.trad.Verify(ctx, mp, tradSig)
	} else {
		pqErr = k.pqLocal.Verify(ctx, mp, pqSig)
		tradErr = stdverify.Verify(k.c.classical.alg, k.pub.Classical, mp, tradSig)
	}
	pqBad, tradBad := errors.Is(pqErr, provider.ErrInvalidSignature), errors.Is(tradErr, provider.ErrInvalidSignature)
	switch {
	case pqErr == nil && tradErr == nil:
		return nil
	case pqBad && tradBad:
		return fmt.Errorf("%w: %s: neither component verifies (ML-DSA: %v; classical: %v)", provider.ErrInvalidSignature, k.c.name, pqErr, tradErr)
	case pqBad:
		return fmt.Errorf("%w: %s: the ML-DSA component does not verify: %v", provider.ErrInvalidSignature, k.c.name, pqErr)
	case tradBad:
		return fmt.Errorf("%w: %s: the classical component does not verify: %v", provider.ErrInvalidSignature, k.c.name, tradErr)
	case pqErr != nil:
		return fmt.Errorf("%s: ML-DSA component could not verify: %w", k.c.name, pqErr)
	default:
		return fmt.Errorf("%s: classical component could not verify: %w", k.c.name, tradErr)
	}
}
