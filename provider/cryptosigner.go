package provider

import (
	"context"
	"crypto"
	"fmt"
	"io"
	"time"
)

// MLDSAMuSize is the size of an external ML-DSA μ, the message
// representative that a crypto.Signer signs when opts.HashFunc() is
// crypto.MLDSAMu (see ExternalMu).
const MLDSAMuSize = 64

// DefaultSignTimeout bounds a Sign of a [CryptoSigner] whose options carry
// no context of their own (see [SignerOpts]): crypto/x509, crypto/tls and
// other callers of crypto.Signer pass none.
const DefaultSignTimeout = 30 * time.Second

// CryptoSigner returns a crypto.Signer backed by k, so that crypto/x509 and
// crypto/tls can use an HSM or KMS key unchanged. k must be an asymmetric key
// implementing PublicKeyer and DigestSigner.
//
// crypto.Signer.Sign has no context argument, so each call takes its
// context from its options: opts may be a [SignerOpts] (or *SignerOpts)
// carrying the context of that one call and the options proper. A call
// whose options carry no context runs under a context with
// [DefaultSignTimeout] whose values are ctx's; ctx's cancellation and
// deadline do not reach it, since a crypto.Signer often outlives the context
// it was made in (a TLS server's key, say).
//
// The rand argument of Sign is ignored, as the backend draws its own
// randomness. Its Public is k's: built with Go 1.27, an ML-DSA key's is an
// *mldsa.PublicKey, which crypto/x509 and crypto/tls take; and opts naming
// crypto.MLDSAMu passes a 64-byte external μ to the backend. Built with Go
// 1.26, whose crypto/x509 and crypto/tls know no ML-DSA, an ML-DSA key is
// refused at once with a [*GoVersionError].
func CryptoSigner(ctx context.Context, k Signer) (crypto.Signer, error) {
	pk, ok := k.(PublicKeyer)
	if !ok {
		return nil, fmt.Errorf("%w: %s key %q has no public key (a MAC cannot be a crypto.Signer)", ErrUnsupported, k.Info().Algorithm, k.Info().ID)
	}
	ds, ok := k.(DigestSigner)
	if !ok {
		return nil, fmt.Errorf("%w: %s key %q cannot sign a digest", ErrUnsupported, k.Info().Algorithm, k.Info().ID)
	}
	if err := cryptoSignerBuilt(k.Info()); err != nil {
		return nil, err
	}
	return &cryptoSigner{ctx: context.WithoutCancel(ctx), pub: pk.Public(), ds: ds}, nil
}

// SignerOpts are the options of one Sign of a [CryptoSigner]: the
// signature's own options and the context of the call. It implements
// crypto.SignerOpts, as a value and as a pointer.
type SignerOpts struct {
	// Opts are the signature's options, as crypto/x509 would pass them: a
	// crypto.Hash, *rsa.PSSOptions, or with Go 1.27 *mldsa.Options. Nil
	// means crypto.Hash(0), for an algorithm that signs the message itself
	// (Ed25519, ML-DSA).
	Opts crypto.SignerOpts
	// Context is the context of the call: its deadline and cancellation
	// reach the backend. Nil means a context with DefaultSignTimeout.
	Context context.Context
}

// HashFunc returns the hash of Opts, or crypto.Hash(0) when Opts is nil.
func (o SignerOpts) HashFunc() crypto.Hash {
	if o.Opts == nil {
		return 0
	}
	return o.Opts.HashFunc()
}

// callOptions splits the options of a Sign into the signature's options and
// the context of the call, which is nil when they carry none.
func callOptions(opts crypto.SignerOpts) (crypto.SignerOpts, context.Context) {
	var o SignerOpts
	switch v := opts.(type) {
	case SignerOpts:
		o = v
	case *SignerOpts:
		if v == nil {
			return nil, nil
		}
		o = *v
	default:
		return opts, nil
	}
	if o.Opts == nil {
		return crypto.Hash(0), o.Context
	}
	return o.Opts, o.Context
}

type cryptoSigner struct {
	ctx context.Context // values only: see CryptoSigner
	pub crypto.PublicKey
	ds  DigestSigner
}

func (s *cryptoSigner) Public() crypto.PublicKey { return s.pub }

func (s *cryptoSigner) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	opts, ctx := callOptions(opts)
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
	if ctx == nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(s.ctx, DefaultSignTimeout)
		defer cancel()
	}
	return s.ds.SignDigest(ctx, digest, opts)
}
