//go:build !go1.27

package mtls

import (
	"crypto"
)

// needsGo127 says what an ML-DSA certificate needs.
const needsGo127 = "; an ML-DSA certificate needs Go 1.27 (crypto/mldsa): build with Go 1.27 or later (GOTOOLCHAIN=go1.27.3)"

// PostQuantumAvailable reports whether this program can authenticate TLS
// with ML-DSA certificates: built with Go 1.27 or later. This one was not.
const PostQuantumAvailable = false

// PostQuantumKey reports whether pub is an ML-DSA public key: never, built
// with Go 1.26, which has no crypto/mldsa.
func PostQuantumKey(crypto.PublicKey) bool { return false }

func signatureScheme(pub crypto.PublicKey) string { return classicalScheme(pub) }
