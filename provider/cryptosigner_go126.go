//go:build !go1.27

package provider

import (
	"crypto"
	"fmt"
	"strings"
)

// ExternalMu reports whether opts asks a crypto.Signer to sign an external
// ML-DSA μ. Built with Go 1.26, which has no crypto.MLDSAMu, it is always
// false.
func ExternalMu(crypto.SignerOpts) bool { return false }

// SignerContext returns the ML-DSA context string that opts carries. Built
// with Go 1.26, which has no crypto/mldsa, opts never carries one.
func SignerContext(crypto.SignerOpts) (string, bool) { return "", false }

// cryptoSignerBuilt refuses, built with Go 1.26, a crypto.Signer for an
// ML-DSA key: the standard library has no ML-DSA public key type, so neither
// crypto/x509 nor crypto/tls could use it.
func cryptoSignerBuilt(info KeyInfo) error {
	if strings.HasPrefix(string(info.Algorithm), "ML-DSA-") {
		return &GoVersionError{
			Op:   fmt.Sprintf("a crypto.Signer for %s key %q", info.Algorithm, info.ID),
			Need: "Go 1.27",
			Why:  "the crypto/x509 and crypto/tls of older Go have no ML-DSA",
		}
	}
	return nil
}
