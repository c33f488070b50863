// Package stdverify is TinyWindow's one rule for verifying the standard
// signature algorithms with a public key: ECDSA-P256-SHA256,
// ECDSA-P384-SHA384, ECDSA-P521-SHA512, Ed25519, RSA-PSS-SHA256 and
// RSA-PKCS1-SHA256. Every backend that verifies such signatures in process
// (awskms, azurekv, pkcs11, pem, remote) and the conformance suite call
// [Verify], so that one signature gets one verdict whichever backend holds
// the key.
//
// The rule is strict, as the key services and HSMs that make the signatures
// are:
//
//   - ECDSA signatures are ASN.1 DER, SEQUENCE { r INTEGER, s INTEGER }, in
//     their one minimal encoding with nothing after it, over the hash of the
//     message that the algorithm names (provider.Algorithm.Hash). The key
//     must be on the algorithm's curve.
//   - Ed25519 signatures are the 64 bytes of RFC 8032 over the message
//     itself, with S reduced (no malleability).
//   - RSA-PSS-SHA256 uses SHA-256 for the message and for MGF1, and a salt of
//     exactly 32 bytes, the length of the hash: the salt AWS KMS documents
//     for RSASSA_PSS_SHA_256, Azure Key Vault uses for PS256 (RFC 7518,
//     section 3.5) and the pkcs11 backend asks the token for in
//     CK_RSA_PKCS_PSS_PARAMS. A signature with any other salt length is
//     invalid, even when the padding is otherwise well formed.
//   - RSA-PKCS1-SHA256 is RSASSA-PKCS1-v1_5 with a DigestInfo that carries
//     the NULL parameters; the form without them is invalid.
//   - An RSA signature is exactly as long as the modulus.
//
// Wycheproof's verdicts hold: every "valid" vector verifies, every "invalid"
// one does not, and its "acceptable" vectors (legacy encodings that some
// libraries tolerate) are invalid here. The shared table in
// internal/stdverify/stdverifytest checks this for every backend.
//
// The signing side of the same rule is [CheckSignerOpts]: the crypto.Signer
// options that key services and HSMs (awskms, gcpkms, vaulttransit, azurekv)
// accept for each algorithm, so that a caller gets one answer whichever
// backend holds the key.
//
// [CheckSize] is the shape check of the same rule that backends run before a
// service call, with the signature size of the key ([Size] for a public key).
package stdverify

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"fmt"

	"github.com/tinywindow/tinywindow/provider"
)

// pss is the RSA-PSS rule: a salt as long as the hash.
var pss = rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}

// PSSOptions returns the RSA-PSS options of the rule, for a crypto.Signer
// caller that signs digests: a salt as long as the hash, which is h.
func PSSOptions(h crypto.Hash) *rsa.PSSOptions {
	return &rsa.PSSOptions{SaltLength: pss.SaltLength, Hash: h}
}

// Supports reports whether Verify has a rule for alg.
func Supports(alg provider.Algorithm) bool {
	switch alg {
	case provider.ECDSAP256SHA256, provider.ECDSAP384SHA384, provider.ECDSAP521SHA512,
		provider.Ed25519, provider.RSAPSSSHA256, provider.RSAPKCS1SHA256:
		return true
	}
	return false
}

// Verify checks sig over msg with pub under the rule for alg. It returns nil
// for a valid signature and an error wrapping [provider.ErrInvalidSignature]
// for any other. An algorithm without a rule here, or a public key that does
// not fit alg (another type or curve), is an error wrapping
// [provider.ErrUnsupported], never ErrInvalidSignature: the signature was not
// checked.
func Verify(alg provider.Algorithm, pub crypto.PublicKey, msg, sig []byte) error {
	if err := CheckKey(alg, pub); err != nil {
		return err
	}
	var ok bool
	switch alg {
	case provider.ECDSAP256SHA256, provider.ECDSAP384SHA384, provider.ECDSAP521SHA512:
		d, n := digest(alg.Hash(), msg)
		ok = ecdsa.VerifyASN1(pub.(*ecdsa.PublicKey), d[:n], sig)
	case provider.Ed25519:
		ok = ed25519.Verify(pub.(ed25519.PublicKey), msg, sig)
	case provider.RSAPSSSHA256:
		d, n := digest(alg.Hash(), msg)
		ok = rsa.VerifyPSS(pub.(*rsa.PublicKey), alg.Hash(), d[:n], sig, &pss) == nil
	case provider.RSAPKCS1SHA256:
		d, n := digest(alg.Hash(), msg)
		ok = rsa.VerifyPKCS1v15(pub.(*rsa.PublicKey), alg.Hash(), d[:n], sig) == nil
	}
	if !ok {
		return fmt.Errorf("%w: %s signature does not verify with the public key", provider.ErrInvalidSignature, alg)
	}
	return nil
}

// CheckKey reports whether Verify can check alg signatures with pub: alg has
// a rule here and pub is of its kind (an *ecdsa.PublicKey on the
// algorithm's curve, an ed25519.PublicKey of 32 bytes, an *rsa.PublicKey).
// Its errors wrap provider.ErrUnsupported.
func CheckKey(alg provider.Algorithm, pub crypto.PublicKey) error {
	ok := false
	switch alg {
	case provider.ECDSAP256SHA256, provider.ECDSAP384SHA384, provider.ECDSAP521SHA512:
		p, isEC := pub.(*ecdsa.PublicKey)
		ok = isEC && p.Curve == Curve(alg)
	case provider.Ed25519:
		p, isEd := pub.(ed25519.PublicKey)
		ok = isEd && len(p) == ed25519.PublicKeySize
	case provider.RSAPSSSHA256, provider.RSAPKCS1SHA256:
		p, isRSA := pub.(*rsa.PublicKey)
		ok = isRSA && p.N != nil
	default:
		return fmt.Errorf("%w: %s signatures have no local verification rule; verify them with their backend", provider.ErrUnsupported, alg)
	}
	if ok {
		return nil
	}
	if p, isEC := pub.(*ecdsa.PublicKey); isEC && p.Curve != nil && Curve(alg) != nil {
		return fmt.Errorf("%w: a %s signature needs a key on %s, not on %s", provider.ErrUnsupported, alg, Curve(alg).Params().Name, p.Curve.Params().Name)
	}
	return fmt.Errorf("%w: a %s signature cannot be checked with a public key of type %T", provider.ErrUnsupported, alg, pub)
}

// Curve returns the curve of an ECDSA algorithm, or nil for any other.
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

// Digest returns what alg signs for msg: the hash alg names
// (provider.Algorithm.Hash) of msg, or msg itself for an algorithm that
// signs the message (Ed25519).
func Digest(alg provider.Algorithm, msg []byte) []byte {
	h := alg.Hash()
	if h == 0 {
		return msg
	}
	d, n := digest(h, msg)
	return d[:n:n]
}

// digest returns the hash of msg with h, SHA-256, SHA-384 or SHA-512, in the
// first n bytes of d. It returns an array, not a slice, so that the digest
// stays on the caller's stack.
func digest(h crypto.Hash, msg []byte) (d [sha512.Size]byte, n int) {
	switch h {
	case crypto.SHA512:
		return sha512.Sum512(msg), sha512.Size
	case crypto.SHA384:
		s := sha512.Sum384(msg)
		copy(d[:], s[:])
		return d, sha512.Size384
	}
	s := sha256.Sum256(msg)
	copy(d[:], s[:])
	return d, sha256.Size
}
