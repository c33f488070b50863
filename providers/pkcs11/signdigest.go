//go:build cgo && !nopkcs11

package pkcs11

import (
	"context"
	"crypto"
	"crypto/rsa"
	"fmt"

	"github.com/miekg/pkcs11"
	"github.com/tinywindow/tinywindow/provider"
)

// SignDigest signs a digest computed by the caller, as [crypto.Signer] does:
// ECDSA keys sign any digest whose length matches opts.HashFunc(); RSA-PSS keys
// take *rsa.PSSOptions (salt length equal to the hash, or auto); Ed25519 keys
// want opts.HashFunc() == 0 and the whole message as digest.
func (k *AsymmetricKey) SignDigest(ctx context.Context, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	if err := k.check(ctx); err != nil {
		return nil, err
	}
	if opts == nil {
		return nil, fmt.Errorf("%w: SignDigest: nil SignerOpts", provider.ErrInvalidConfig)
	}
	h := opts.HashFunc()
	alg := k.info.Algorithm
	if alg != provider.Ed25519 {
		if h == 0 || !h.Available() {
			return nil, fmt.Errorf("%w: SignDigest: %s needs a hash in SignerOpts", provider.ErrInvalidConfig, alg)
		}
		if len(digest) != h.Size() {
			return nil, fmt.Errorf("%w: SignDigest: digest is %d bytes, %v wants %d", provider.ErrInvalidConfig, len(digest), h, h.Size())
		}
	}
	var mech []*pkcs11.Mechanism
	data := digest
	switch alg {
	case provider.ECDSAP256SHA256, provider.ECDSAP384SHA384:
		mech = k.digestMech
	case provider.Ed25519:
		if h != 0 {
			return nil, fmt.Errorf("%w: SignDigest: Ed25519 signs the message itself (crypto.Hash(0)), not a %v digest; Ed25519ph is not offered", provider.ErrUnsupported, h)
		}
		mech = k.signMech
	case provider.RSAPSSSHA256:
		salt := h.Size()
		if po, ok := opts.(*rsa.PSSOptions); ok && po.SaltLength != rsa.PSSSaltLengthAuto && po.SaltLength != rsa.PSSSaltLengthEqualsHash && po.SaltLength != h.Size() {
			return nil, fmt.Errorf("%w: SignDigest: RSA-PSS salt length %d; this key signs with a salt as long as the hash (%d)", provider.ErrUnsupported, po.SaltLength, h.Size())
		}
		hm, mgf, err := pssHash(h)
		if err != nil {
			return nil, err
		}
		mech = []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_RSA_PKCS_PSS, pkcs11.NewPSSParams(hm, mgf, uint(salt)))}
	case provider.RSAPKCS1SHA256:
		prefix, err := digestInfoPrefix(h)
		if err != nil {
			return nil, err
		}
		data = append(append([]byte(nil), prefix...), digest...)
		mech = []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_RSA_PKCS, nil)}
	}
	sig, err := k.signRaw(ctx, mech, data)
	if err != nil {
		return nil, err
	}
	return k.encode(nil, sig)
}

func pssHash(h crypto.Hash) (hashMech, mgf uint, err error) {
	switch h {
	case crypto.SHA256:
		return pkcs11.CKM_SHA256, pkcs11.CKG_MGF1_SHA256, nil
	case crypto.SHA384:
		return pkcs11.CKM_SHA384, pkcs11.CKG_MGF1_SHA384, nil
	case crypto.SHA512:
		return pkcs11.CKM_SHA512, pkcs11.CKG_MGF1_SHA512, nil
	}
	return 0, 0, fmt.Errorf("%w: SignDigest: RSA-PSS with %v; use SHA-256, SHA-384 or SHA-512", provider.ErrUnsupported, h)
}

// digestInfoPrefix returns the DER DigestInfo header that PKCS#1 v1.5 puts
// before a digest (RFC 8017, section 9.2, note 1).
func digestInfoPrefix(h crypto.Hash) ([]byte, error) {
	switch h {
	case crypto.SHA256:
		return []byte{0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20}, nil
	case crypto.SHA384:
		return []byte{0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30}, nil
	case crypto.SHA512:
		return []byte{0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40}, nil
	}
	return nil, fmt.Errorf("%w: SignDigest: RSA PKCS#1 v1.5 with %v; use SHA-256, SHA-384 or SHA-512", provider.ErrUnsupported, h)
}
