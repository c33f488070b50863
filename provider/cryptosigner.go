package provider

import (
	"context"
	"crypto"
	"fmt"
	"io"
)

// MLDSAMuSize is the size of an external ML-DSA μ, the message
// representative that a crypto.Signer signs when opts.HashFunc() is
// crypto.MLDSAMu (see ExternalMu).
const MLDSAMuSize = 64

// CryptoSigner returns a crypto.Signer backed by k, so that crypto/x509 and
// crypto/tls can use an HSM or KMS key unchanged. k must be an asymmetric key
// implementing PublicKeyer and DigestSigner. crypto.Signer has no context, so
// every call uses ctx; the rand argument of Sign is ignored, as the backend
// draws its own randomness. Its Public is k's: built with Go 1.27, an ML-DSA
// key's is an *mldsa.PublicKey, which crypto/x509 and crypto/tls take; and
// opts naming crypto.MLDSAMu passes a 64-byte external μ to the backend.
func CryptoSigner(ctx context.Context, k Signer) (crypto.Signer, error) {
	pk, ok := k.(PublicKeyer)
	if !ok {
		return nil, fmt.Errorf("%w: %s key %s has no public key (a MAC cannot be a crypto.Signer)", ErrUnsupported, k.Info().Algorithm, k.Info().ID)
	}
	ds, ok := k.(DigestSigner)
	if !ok {
		return nil, fmt.Errorf("%w: %s key %s cannot sign a digest", ErrUnsupported, k.Info().Algorithm, k.Info().ID)
	}
	return &cryptoSigner{ctx: ctx, pub: pk.Public(), ds: ds}, nil
}

type cryptoSigner struct {
	ctx context.Context
	pub crypto.PublicKey
	ds  DigestSigner
}

func (s *cryptoSigner) Public() crypto.PublicKey { return s.pub }

func (s *cryptoSigner) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	if opts == nil {
		return nil, fmt.Errorf("%w: crypto.Signer.Sign: nil SignerOpts", ErrInvalidConfig)
	}
	if ExternalMu(opts) {
		if len(digest) != MLDSAMuSize {
			return nil, fmt.Errorf("%w: crypto.Signer.Sign: an external ML-DSA μ is %d bytes, not %d", ErrInvalidConfig, MLDSAMuSize, len(digest))
		}
	} else if h := opts.HashFunc(); h != 0 {
		if !h.Available() {
			return nil, fmt.Errorf("%w: crypto.Signer.Sign: hash %v is not linked into the binary", ErrUnsupported, h)
		}
		if len(digest) != h.Size() {
			return nil, fmt.Errorf("%w: crypto.Signer.Sign: digest is %d bytes, %v wants %d", ErrInvalidConfig, len(digest), h, h.Size())
		}
	}
	return s.ds.SignDigest(s.ctx, digest, opts)
}
