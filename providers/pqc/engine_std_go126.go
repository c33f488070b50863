//go:build !go1.27

package pqc

import "crypto"

// stdPublicKey returns nil: before Go 1.27 the standard library has no
// ML-DSA public key type, so Public returns the engine's own.
func stdPublicKey(*paramSet, publicKey) crypto.PublicKey { return nil }
