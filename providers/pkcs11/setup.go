//go:build cgo && !nopkcs11

package pkcs11

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/asn1"
	"encoding/hex"
	"fmt"
	"math/big"
	"strings"

	"github.com/miekg/pkcs11"
	"github.com/tinywindow/tinywindow/provider"
)

// setup derives the algorithm, mechanisms, public key and key ID from what
// locate found, and checks them against the URI.
func (k *Key) setup(loc *located) error {
	desc := fmt.Sprintf("%s in %s", k.cfg.keyDesc(), k.cfg.tokenDesc())
	if !loc.canSign {
		return fmt.Errorf("%w: pkcs11: key %s has CKA_SIGN false and cannot sign", provider.ErrUnsupported, desc)
	}
	if loc.alwaysAuth {
		return fmt.Errorf("%w: pkcs11: key %s has CKA_ALWAYS_AUTHENTICATE, which needs a PIN for every signature; use a key without it", provider.ErrUnsupported, desc)
	}
	pub, alg, err := k.publicKey(loc)
	if err != nil {
		return err
	}
	if want := k.cfg.Algorithm; want != "" && want != alg {
		if !(alg == provider.RSAPSSSHA256 && want == provider.RSAPKCS1SHA256) {
			return fmt.Errorf("%w: pkcs11: key %s is for %s, not for %s (alg=%s in the URI); name a key of that type, or drop alg", provider.ErrUnsupported, desc, alg, want, want)
		}
		alg = want
	}
	k.info = provider.KeyInfo{Algorithm: alg, Backend: Scheme}
	switch alg {
	case provider.HMACSHA256:
		if loc.valueLen != 0 && loc.valueLen < 32 {
			return fmt.Errorf("%w: pkcs11: HMAC key %s is %d bytes; HMAC-SHA256 keys must be at least 32", provider.ErrUnsupported, desc, loc.valueLen)
		}
		if !loc.canVerify {
			return fmt.Errorf("%w: pkcs11: HMAC key %s has CKA_VERIFY false; tags are verified in the token", provider.ErrUnsupported, desc)
		}
		k.signMech = []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_SHA256_HMAC, nil)}
		return nil
	case provider.ECDSAP256SHA256:
		k.hash, k.coordSize = crypto.SHA256, 32
		k.digestMech = []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_ECDSA, nil)}
	case provider.ECDSAP384SHA384:
		k.hash, k.coordSize = crypto.SHA384, 48
		k.digestMech = []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_ECDSA, nil)}
	case provider.Ed25519:
		k.signMech = []*pkcs11.Mechanism{pkcs11.NewMechanism(ckmEdDSA, nil)}
	case provider.RSAPSSSHA256:
		k.hash = crypto.SHA256
		k.signMech = []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_SHA256_RSA_PKCS_PSS,
			pkcs11.NewPSSParams(pkcs11.CKM_SHA256, pkcs11.CKG_MGF1_SHA256, 32))}
	case provider.RSAPKCS1SHA256:
		k.hash = crypto.SHA256
		k.signMech = []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_SHA256_RSA_PKCS, nil)}
	}
	if k.cfg.VerifyInHSM && loc.pub == 0 {
		return fmt.Errorf("%w: pkcs11: verify=hsm, but the token has no public key object for %s", provider.ErrKeyNotFound, desc)
	}
	spki, err := marshalSPKI(pub)
	if err != nil {
		return fmt.Errorf("%w: pkcs11: encoding the public key of %s: %w", provider.ErrUnavailable, desc, err)
	}
	k.pub, k.spki = pub, spki
	k.info.ID = provider.KeyIDFromPublic(spki)
	return nil
}

// publicKey decodes the public key and names the algorithm of the located
// key. It returns a nil public key for a secret key.
func (k *Key) publicKey(loc *located) (crypto.PublicKey, provider.Algorithm, error) {
	desc := fmt.Sprintf("%s in %s", k.cfg.keyDesc(), k.cfg.tokenDesc())
	switch loc.keyType {
	case pkcs11.CKK_GENERIC_SECRET, pkcs11.CKK_SHA256_HMAC:
		return nil, provider.HMACSHA256, nil
	case pkcs11.CKK_EC:
		var curve elliptic.Curve
		var alg provider.Algorithm
		switch {
		case bytes.Equal(loc.ecParams, oidP256):
			curve, alg = elliptic.P256(), provider.ECDSAP256SHA256
		case bytes.Equal(loc.ecParams, oidP384):
			curve, alg = elliptic.P384(), provider.ECDSAP384SHA384
		default:
			return nil, "", fmt.Errorf("%w: pkcs11: EC key %s is on a curve other than P-256 and P-384 (CKA_EC_PARAMS %x)", provider.ErrUnsupported, desc, loc.ecParams)
		}
		point, err := unwrapPoint(loc.ecPoint)
		if err != nil {
			return nil, "", fmt.Errorf("%w: pkcs11: EC key %s: %w", provider.ErrKeyNotFound, desc, err)
		}
		pub, err := ecdsa.ParseUncompressedPublicKey(curve, point)
		if err != nil {
			return nil, "", fmt.Errorf("%w: pkcs11: EC key %s: CKA_EC_POINT: %w", provider.ErrUnavailable, desc, err)
		}
		return pub, alg, nil
	case ckkECEdwards:
		if !bytes.Equal(loc.ecParams, oidEd25519) && !isPrintable(loc.ecParams, "edwards25519") {
			return nil, "", fmt.Errorf("%w: pkcs11: Edwards key %s is not an Ed25519 key (CKA_EC_PARAMS %x)", provider.ErrUnsupported, desc, loc.ecParams)
		}
		point, err := unwrapPoint(loc.ecPoint)
		if err != nil {
			return nil, "", fmt.Errorf("%w: pkcs11: Ed25519 key %s: %w", provider.ErrKeyNotFound, desc, err)
		}
		if len(point) != ed25519.PublicKeySize {
			return nil, "", fmt.Errorf("%w: pkcs11: Ed25519 key %s: CKA_EC_POINT holds %d bytes, want %d", provider.ErrUnavailable, desc, len(point), ed25519.PublicKeySize)
		}
		return ed25519.PublicKey(bytes.Clone(point)), provider.Ed25519, nil
	case pkcs11.CKK_RSA:
		if len(loc.modulus) == 0 || len(loc.exponent) == 0 {
			return nil, "", fmt.Errorf("%w: pkcs11: RSA key %s: the token shows neither CKA_MODULUS nor a public key object", provider.ErrKeyNotFound, desc)
		}
		e := new(big.Int).SetBytes(loc.exponent)
		if !e.IsInt64() || e.Int64() < 3 || e.Int64() > 1<<31-1 {
			return nil, "", fmt.Errorf("%w: pkcs11: RSA key %s has an unusable public exponent", provider.ErrUnsupported, desc)
		}
		pub := &rsa.PublicKey{N: new(big.Int).SetBytes(loc.modulus), E: int(e.Int64())}
		if pub.N.BitLen() < 2048 {
			return nil, "", fmt.Errorf("%w: pkcs11: RSA key %s is %d bits; at least 2048 are required", provider.ErrUnsupported, desc, pub.N.BitLen())
		}
		return pub, provider.RSAPSSSHA256, nil
	}
	return nil, "", fmt.Errorf("%w: pkcs11: key %s has key type 0x%x, which this backend does not use (HMAC generic secret, EC P-256/P-384, Ed25519, RSA)", provider.ErrUnsupported, desc, loc.keyType)
}

// unwrapPoint returns the point of a CKA_EC_POINT value: PKCS#11 says a DER
// OCTET STRING around it, some tokens give it bare.
func unwrapPoint(v []byte) ([]byte, error) {
	if len(v) == 0 {
		return nil, fmt.Errorf("the token has no public key object with CKA_EC_POINT")
	}
	var inner []byte
	if rest, err := asn1.Unmarshal(v, &inner); err == nil && len(rest) == 0 {
		return inner, nil
	}
	return v, nil
}

func isPrintable(der []byte, want string) bool {
	var s string
	rest, err := asn1.Unmarshal(der, &s)
	return err == nil && len(rest) == 0 && s == want
}

// hmacKeyID derives the ID of an HMAC key in the token the way the hmac
// backend does: the first 8 bytes of HMAC-SHA256(key, label), in hex. A key
// imported from the hmac backend keeps its ID.
func (k *Key) hmacKeyID() (string, error) {
	tag, err := k.signRaw(context.Background(), k.signMech, []byte("tinywindow/hmac/key-id/v1"))
	if err != nil {
		return "", err
	}
	if len(tag) < 8 {
		return "", fmt.Errorf("%w: pkcs11: HMAC tag of %d bytes", provider.ErrUnavailable, len(tag))
	}
	return "hmac-" + hex.EncodeToString(tag[:8]), nil
}

// String describes the key without secrets.
func (k *Key) String() string {
	return strings.Join([]string{Scheme, string(k.info.Algorithm), k.info.ID}, " ")
}
