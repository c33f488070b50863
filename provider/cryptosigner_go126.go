//go:build !go1.27

package provider

import "crypto"

// ExternalMu reports whether opts asks a crypto.Signer to sign an external
// ML-DSA μ. Built with Go 1.26, which has no crypto.MLDSAMu, it is always
// false.
func ExternalMu(crypto.SignerOpts) bool { return false }

// SignerContext returns the ML-DSA context string that opts carries. Built
// with Go 1.26, which has no crypto/mldsa, opts never carries one.
func SignerContext(crypto.SignerOpts) (string, bool) { return "", false }
