package pqc

import (
	"crypto"

	"github.com/tinywindow/tinywindow/provider"
)

// engine is the seam between the key handles of this package and the code
// that does the arithmetic. Two engines are shipped: circl's (pure Go, every
// parameter set, the default) and the standard library's crypto/mldsa
// (ML-DSA only, Go 1.27 and later, inside the FIPS 140-3 Go Cryptographic
// Module). Another engine (a native liboqs one, say) would implement engine
// and add itself to engines from its file's init; everything above this
// interface (URIs, key files, SPKI, validation of inputs, the provider
// contract) stays as it is.
type engine interface {
	// name identifies the engine ("circl", "std").
	name() string
	// scheme returns the implementation of one parameter set, or false if
	// the engine lacks it.
	scheme(alg provider.Algorithm) (scheme, bool)
}

// scheme is one parameter set of an engine. Sizes are checked by the caller
// before any of these is called.
type scheme interface {
	// fromSeed derives a key pair from a seed of params().seedSize bytes.
	fromSeed(seed []byte) (privateKey, publicKey, error)
	// parsePrivate decodes an expanded private key. It need not validate
	// the key; validatePrivate does.
	parsePrivate(b []byte) (privateKey, error)
	// validatePrivate checks that an expanded private key is well formed
	// and consistent, and returns its public key.
	validatePrivate(sk privateKey, encoded []byte) (publicKey, error)
	// parsePublic decodes a public key.
	parsePublic(b []byte) (publicKey, error)
}

// privateKey signs. It is safe for concurrent use.
type privateKey interface {
	// signAppend appends the signature of msg under context string ctx to
	// dst. deterministic selects the deterministic variant of FIPS 204 /
	// FIPS 205; otherwise the signature is hedged with fresh randomness.
	signAppend(dst, msg, ctx []byte, deterministic bool) ([]byte, error)
	// destroy overwrites the key material it can reach.
	destroy()
}

// publicKey verifies. It holds the parsed form, so that verifying does not
// decode the key again. It is safe for concurrent use.
type publicKey interface {
	// verify reports whether sig, of the right size, is a valid signature
	// of msg under context string ctx.
	verify(msg, ctx, sig []byte) bool
	// bytes returns the raw FIPS 204 / FIPS 205 encoding.
	bytes() []byte
	// crypto returns the engine's own public key value.
	crypto() crypto.PublicKey
}

// muSigner is implemented by the private keys of engines that can sign an
// external μ, the 64-byte message representative of FIPS 204 (crypto.MLDSAMu).
type muSigner interface {
	signMu(dst, mu []byte, deterministic bool) ([]byte, error)
}
