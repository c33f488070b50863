package provider

import (
	"context"
	"crypto"
	"io"
)

// KeyInfo describes a key without any I/O.
type KeyInfo struct {
	// ID identifies the key. It is derived from public material (a public
	// key, or a one-way function of a secret key) and never reveals a secret.
	ID string `json:"id"`
	// Algorithm is the key's algorithm.
	Algorithm Algorithm `json:"algorithm"`
	// Backend is the URI scheme of the backend holding the key.
	Backend string `json:"backend"`
	// Version is the backend's version of the key, where it has one.
	Version string `json:"version,omitempty"`
}

// Signer signs messages with one key.
type Signer interface {
	// Info describes the key.
	Info() KeyInfo
	// Sign returns the signature of msg. It hashes msg itself where the
	// algorithm calls for a hash.
	Sign(ctx context.Context, msg []byte) ([]byte, error)
}

// Verifier checks signatures made with one key.
type Verifier interface {
	// Info describes the key.
	Info() KeyInfo
	// Verify returns nil when sig is a valid signature of msg, an error
	// matching ErrInvalidSignature when it is not, and any other error when
	// it could not decide.
	Verify(ctx context.Context, msg, sig []byte) error
}

// Key is a handle to one key that can sign and verify. Close releases what the
// handle holds (sessions, connections, key material); it is idempotent, and
// any use after it fails with an error matching ErrClosed.
type Key interface {
	Signer
	Verifier
	io.Closer
}

// AppendSigner is implemented by keys that can sign without allocating:
// SignAppend appends the signature of msg to dst and returns the extended
// slice.
type AppendSigner interface {
	SignAppend(ctx context.Context, dst, msg []byte) ([]byte, error)
}

// PublicKeyer is implemented by asymmetric keys. Public returns the public key
// as a value of the standard library where one exists (*ecdsa.PublicKey,
// ed25519.PublicKey, *rsa.PublicKey) or of the backend's own type otherwise.
type PublicKeyer interface {
	Public() crypto.PublicKey
}

// PublicKeyPEMer is implemented by asymmetric keys that can export their public
// key as a PEM "PUBLIC KEY" block holding a DER SubjectPublicKeyInfo.
type PublicKeyPEMer interface {
	PublicKeyPEM() ([]byte, error)
}

// DigestSigner is implemented by keys that can sign a digest computed by the
// caller, as crypto.Signer does. opts.HashFunc() names the hash; it is zero for
// algorithms that sign the message itself (Ed25519, ML-DSA), in which case
// digest is the whole message.
type DigestSigner interface {
	SignDigest(ctx context.Context, digest []byte, opts crypto.SignerOpts) ([]byte, error)
}

// Determinism is implemented by keys that declare whether signing the same
// message twice gives the same signature. The conformance suite checks the
// claim.
type Determinism interface {
	Deterministic() bool
}

// SignAppend appends the signature of msg to dst, without allocating where s
// implements AppendSigner.
func SignAppend(ctx context.Context, s Signer, dst, msg []byte) ([]byte, error) {
	if a, ok := s.(AppendSigner); ok {
		return a.SignAppend(ctx, dst, msg)
	}
	sig, err := s.Sign(ctx, msg)
	if err != nil {
		return dst, err
	}
	return append(dst, sig...), nil
}
