//go:build go1.27

package mtls

import (
	"crypto"
	"crypto/mldsa"
)

// needsGo127 is empty: this program has Go 1.27's ML-DSA.
const needsGo127 = ""

// PostQuantumAvailable reports whether this program can authenticate TLS
// with ML-DSA certificates: built with Go 1.27 or later.
const PostQuantumAvailable = true

// PostQuantumKey reports whether pub is an ML-DSA public key.
func PostQuantumKey(pub crypto.PublicKey) bool {
	_, ok := pub.(*mldsa.PublicKey)
	return ok
}

func signatureScheme(pub crypto.PublicKey) string {
	switch p := pub.(type) {
	case *mldsa.PublicKey:
		switch p.Parameters() {
		case mldsa.MLDSA44():
			return "mldsa44"
		case mldsa.MLDSA65():
			return "mldsa65"
		case mldsa.MLDSA87():
			return "mldsa87"
		}
	}
	return classicalScheme(pub)
}
