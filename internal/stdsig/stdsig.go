// Package stdsig verifies the classical signature algorithms of TinyWindow
// (ECDSA, Ed25519, RSA-PSS, RSA PKCS#1 v1.5) with the Go standard library, so
// that every place that checks such a signature locally applies one rule.
package stdsig

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"errors"
	"fmt"

	"github.com/tinywindow/tinywindow/provider"
)

// ErrNoVerifier means the standard library has no verifier for the algorithm.
var ErrNoVerifier = errors.New("the Go standard library has no verifier for this algorithm")

// Hash returns the message hash of alg: SHA-256, SHA-384 or SHA-512 for ECDSA
// and RSA, and 0 for Ed25519, which signs the message itself. ok is false for
// an algorithm the standard library does not verify.
func Hash(alg provider.Algorithm) (h crypto.Hash, ok bool) {
	switch alg {
	case provider.ECDSAP256SHA256, provider.RSAPSSSHA256, provider.RSAPKCS1SHA256:
		return crypto.SHA256, true
	case provider.ECDSAP384SHA384:
		return crypto.SHA384, true
	case provider.ECDSAP521SHA512:
		return crypto.SHA512, true
	case provider.Ed25519:
		return 0, true
	}
	return 0, false
}

// Curve returns the curve of an ECDSA algorithm, or nil.
func Curve(alg provider.Algorithm) elliptic.Curve {
	switch alg {
	case provider.ECDSAP256SHA256:
		return elliptic.P256()
	case provider.ECDSAP384SHA384:
		return elliptic.P384()
	case provider.ECDSAP521SHA512:
		return elliptic.P521()
	}
	return nil
}

// Digest returns what alg signs for msg: the hash of msg, or msg itself for
// Ed25519 (and for algorithms without a hash here).
func Digest(alg provider.Algorithm, msg []byte) []byte {
	h, ok := Hash(alg)
	if !ok || h == 0 {
		return msg
	}
	d := h.New()
	d.Write(msg)
	return d.Sum(nil)
}

// PSSOptions are the options of RSA-PSS verification: any salt length, as
// signers differ (TinyWindow signs with a salt as long as the hash, OpenSSL
// by default with the longest that fits).
var PSSOptions = &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto}

// Verify reports whether sig is a valid signature of msg under pub for alg:
// ECDSA signatures in ASN.1 DER, Ed25519 and RSA signatures as they are. It
// returns an error, never true, when pub is not of the type alg needs (an
// ECDSA key on another curve included), and ErrNoVerifier for an algorithm
// the standard library cannot verify.
func Verify(alg provider.Algorithm, pub crypto.PublicKey, msg, sig []byte) (bool, error) {
	if err := Check(alg, pub); err != nil {
		return false, err
	}
	switch alg {
	case provider.ECDSAP256SHA256, provider.ECDSAP384SHA384, provider.ECDSAP521SHA512:
		return ecdsa.VerifyASN1(pub.(*ecdsa.PublicKey), Digest(alg, msg), sig), nil
	case provider.Ed25519:
		return ed25519.Verify(pub.(ed25519.PublicKey), msg, sig), nil
	case provider.RSAPSSSHA256:
		return rsa.VerifyPSS(pub.(*rsa.PublicKey), crypto.SHA256, Digest(alg, msg), sig, PSSOptions) == nil, nil
	default: // provider.RSAPKCS1SHA256, by Check
		return rsa.VerifyPKCS1v15(pub.(*rsa.PublicKey), crypto.SHA256, Digest(alg, msg), sig) == nil, nil
	}
}

// Check returns an error unless pub is a public key of the type alg needs.
func Check(alg provider.Algorithm, pub crypto.PublicKey) error {
	if _, ok := Hash(alg); !ok {
		return fmt.Errorf("%w: %s", ErrNoVerifier, alg)
	}
	ok := false
	switch p := pub.(type) {
	case *ecdsa.PublicKey:
		ok = p != nil && Curve(alg) != nil && p.Curve == Curve(alg)
	case ed25519.PublicKey:
		ok = alg == provider.Ed25519 && len(p) == ed25519.PublicKeySize
	case *rsa.PublicKey:
		ok = p != nil && (alg == provider.RSAPSSSHA256 || alg == provider.RSAPKCS1SHA256)
	}
	if !ok {
		return fmt.Errorf("%s key's public key is %T, which does not fit the algorithm", alg, pub)
	}
	return nil
}
