//go:build go1.27

package provider

import (
	"crypto"
	"crypto/mldsa"
)

// ExternalMu reports whether opts asks a crypto.Signer to sign an external
// ML-DSA μ (opts.HashFunc() is crypto.MLDSAMu): the 64-byte message
// representative of FIPS 204, computed by the caller, instead of a message.
// It is always false when built with Go 1.26, which has no crypto.MLDSAMu.
func ExternalMu(opts crypto.SignerOpts) bool {
	return opts != nil && opts.HashFunc() == crypto.MLDSAMu
}

// SignerContext returns the ML-DSA context string that opts carries, and
// whether opts is an *mldsa.Options (Go 1.27 and later) at all. A
// crypto.Signer for a key bound to one context must refuse another.
func SignerContext(opts crypto.SignerOpts) (string, bool) {
	o, ok := opts.(*mldsa.Options)
	if !ok || o == nil {
		return "", false
	}
	return o.Context, true
}

// cryptoSignerBuilt accepts every key: Go 1.27 knows ML-DSA.
func cryptoSignerBuilt(KeyInfo) error { return nil }
