package stdverify

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"fmt"

	"github.com/tinywindow/tinywindow/internal/ecdsasig"
	"github.com/tinywindow/tinywindow/provider"
)

// CheckSize returns nil if sig has the shape of an alg signature of a key
// whose signatures are size bytes long ([Size] gives it for a public key),
// and an error wrapping [provider.ErrInvalidSignature] otherwise: an ECDSA
// signature must be a strict DER SEQUENCE of two positive INTEGERs no longer
// than the curve's coordinates, of 8 to size bytes; any other signature must
// be exactly size bytes. A backend calls it before a service call, so that a
// malformed signature is invalid whatever the service would make of it.
func CheckSize(alg provider.Algorithm, size int, sig []byte) error {
	n := len(sig)
	c := Curve(alg)
	if c == nil {
		if n != size {
			return fmt.Errorf("%w: %s signature is %d bytes; this key's signatures are exactly %d", provider.ErrInvalidSignature, alg, n, size)
		}
		return nil
	}
	if n < 8 || n > size {
		return fmt.Errorf("%w: %s signature is %d bytes; a DER signature of this key is 8 to %d bytes", provider.ErrInvalidSignature, alg, n, size)
	}
	coord := coordSize(alg)
	if _, ok := ecdsasig.ParseDER(sig, coord); !ok {
		if n == 2*coord {
			return fmt.Errorf("%w: %s signature is not ASN.1 DER (it has the size of a raw r‖s; ECDSA signatures here are DER)", provider.ErrInvalidSignature, alg)
		}
		return fmt.Errorf("%w: %s signature is not a DER SEQUENCE of two positive INTEGERs of at most %d bytes", provider.ErrInvalidSignature, alg, coord)
	}
	return nil
}

// Size returns the length of an alg signature made with the key of pub: the
// largest DER encoding for ECDSA (72 bytes for P-256, 104 for P-384, 139 for
// P-521), 64 bytes for Ed25519, the modulus length for RSA. It returns 0
// when pub does not fit alg (see [CheckKey]), so that [CheckSize] refuses
// every signature.
func Size(alg provider.Algorithm, pub crypto.PublicKey) int {
	if CheckKey(alg, pub) != nil {
		return 0
	}
	switch alg {
	case provider.ECDSAP256SHA256, provider.ECDSAP384SHA384, provider.ECDSAP521SHA512:
		// SEQUENCE { INTEGER r, INTEGER s }: each INTEGER has a two-byte
		// header and is at most as long as a coordinate, plus a leading zero
		// where the order fills its top byte; the SEQUENCE header takes a
		// third byte once its content passes 127 bytes.
		intLen := coordSize(alg)
		if Curve(alg).Params().BitSize%8 == 0 {
			intLen++
		}
		body := 2 * (2 + intLen)
		if body > 127 {
			return 3 + body
		}
		return 2 + body
	case provider.Ed25519:
		return ed25519.SignatureSize
	case provider.RSAPSSSHA256, provider.RSAPKCS1SHA256:
		return pub.(*rsa.PublicKey).Size()
	}
	return 0
}

// coordSize returns the length in bytes of a coordinate of alg's curve.
func coordSize(alg provider.Algorithm) int {
	return (Curve(alg).Params().BitSize + 7) / 8
}
