package signerpb

import (
	"crypto"
	"crypto/rsa"
	"fmt"

	"github.com/tinywindow/tinywindow/provider"
)

// NewSignDigestRequest returns the request that asks the service to sign
// digest with the key named key under opts, as crypto.Signer.Sign receives
// them: a SHA-256, SHA-384 or SHA-512 digest (with *rsa.PSSOptions for
// RSA-PSS), a message with crypto.Hash(0), or, with Go 1.27, a message
// under *mldsa.Options or a 64-byte external μ under crypto.MLDSAMu.
func NewSignDigestRequest(key string, digest []byte, opts crypto.SignerOpts) (*SignDigestRequest, error) {
	if opts == nil {
		return nil, fmt.Errorf("%w: SignDigest: nil SignerOpts", provider.ErrInvalidConfig)
	}
	r := &SignDigestRequest{Key: key, Digest: digest}
	if c, ok := provider.SignerContext(opts); ok {
		r.Context = &c
	}
	switch h := opts.HashFunc(); {
	case provider.ExternalMu(opts):
		r.Hash = Hash_HASH_MLDSA_MU
	case h == 0:
		r.Hash = Hash_HASH_NONE
	case h == crypto.SHA256:
		r.Hash = Hash_HASH_SHA256
	case h == crypto.SHA384:
		r.Hash = Hash_HASH_SHA384
	case h == crypto.SHA512:
		r.Hash = Hash_HASH_SHA512
	default:
		return nil, fmt.Errorf("%w: SignDigest: hash %v; the service signs SHA-256, SHA-384 and SHA-512 digests", provider.ErrUnsupported, h)
	}
	if p, ok := opts.(*rsa.PSSOptions); ok {
		salt := int32(p.SaltLength)
		r.PssSaltLength = &salt
	}
	return r, nil
}

// SignerOpts returns the crypto.SignerOpts that r carries, the inverse of
// NewSignDigestRequest. An external μ or a context string needs a program
// built with Go 1.27 or later; otherwise it is an error wrapping
// provider.ErrUnsupported.
func (r *SignDigestRequest) SignerOpts() (crypto.SignerOpts, error) {
	var h crypto.Hash
	switch r.GetHash() {
	case Hash_HASH_NONE:
	case Hash_HASH_SHA256:
		h = crypto.SHA256
	case Hash_HASH_SHA384:
		h = crypto.SHA384
	case Hash_HASH_SHA512:
		h = crypto.SHA512
	case Hash_HASH_MLDSA_MU:
		if r.PssSaltLength != nil || r.Context != nil {
			return nil, fmt.Errorf("%w: SignDigest: an external μ takes no pss_salt_length and no context (μ binds the context)", provider.ErrInvalidConfig)
		}
		return muOpts()
	default:
		return nil, fmt.Errorf("%w: SignDigest: unknown hash %d", provider.ErrInvalidConfig, r.GetHash())
	}
	if h != 0 && len(r.GetDigest()) != h.Size() {
		return nil, fmt.Errorf("%w: SignDigest: digest is %d bytes, %v wants %d", provider.ErrInvalidConfig, len(r.GetDigest()), h, h.Size())
	}
	switch {
	case r.PssSaltLength != nil && r.Context != nil:
		return nil, fmt.Errorf("%w: SignDigest: pss_salt_length (RSA) and context (ML-DSA, SLH-DSA) do not go together", provider.ErrInvalidConfig)
	case r.PssSaltLength != nil:
		if h == 0 {
			return nil, fmt.Errorf("%w: SignDigest: RSA-PSS needs a hash", provider.ErrInvalidConfig)
		}
		return &rsa.PSSOptions{SaltLength: int(r.GetPssSaltLength()), Hash: h}, nil
	case r.Context != nil:
		if h != 0 {
			return nil, fmt.Errorf("%w: SignDigest: a context string goes with a message (HASH_NONE), not a %v digest", provider.ErrInvalidConfig, h)
		}
		return contextOpts(r.GetContext())
	}
	return h, nil
}
