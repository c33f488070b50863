package composite

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
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
	if err := k.c.checkClassicalSize(k.pub.Classical, tradSig); err != nil {
		return err
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

// checkClassicalSize refuses a classical signature of a length the key
// cannot produce.
func (c *combination) checkClassicalSize(pub crypto.PublicKey, sig []byte) error {
	var ok bool
	switch p := pub.(type) {
	case ed25519.PublicKey:
		ok = len(sig) == ed25519.SignatureSize
	case *rsa.PublicKey:
		ok = len(sig) == p.Size()
	case *ecdsa.PublicKey:
		// A DER Ecdsa-Sig-Value: at least 8 bytes, at most two INTEGERs of
		// one byte more than the order plus headers.
		n := (p.Curve.Params().N.BitLen() + 7) / 8
		ok = len(sig) >= 8 && len(sig) <= 2*(n+1+3)+3
	}
	if !ok {
		return fmt.Errorf("%w: %s: classical signature of %d bytes cannot be a %s signature of this key", provider.ErrInvalidSignature, c.name, len(sig), c.classical.alg)
	}
	return nil
}
