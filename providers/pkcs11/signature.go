//go:build cgo && !nopkcs11

package pkcs11

import (
	"fmt"
	"math/big"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// rawToDER converts an ECDSA signature from the PKCS#11 form, r and s as
// big-endian integers of n bytes each, to the ASN.1 DER form that every
// TinyWindow backend returns. Leading zero bytes of r and s are dropped and a
// zero byte is added where the top bit is set, so that each INTEGER is minimal
// and positive.
func rawToDER(raw []byte, n int) ([]byte, error) {
	if len(raw) != 2*n {
		return nil, fmt.Errorf("ECDSA signature from the token is %d bytes, want %d (r and s of %d bytes)", len(raw), 2*n, n)
	}
	var b cryptobyte.Builder
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		addUnsigned(b, raw[:n])
		addUnsigned(b, raw[n:])
	})
	return b.Bytes()
}

func addUnsigned(b *cryptobyte.Builder, v []byte) {
	for len(v) > 1 && v[0] == 0 {
		v = v[1:]
	}
	b.AddASN1(asn1.INTEGER, func(b *cryptobyte.Builder) {
		if v[0]&0x80 != 0 {
			b.AddUint8(0)
		}
		b.AddBytes(v)
	})
}

// derToRaw converts a DER ECDSA signature to r‖s of n bytes each. It accepts
// only the one valid encoding (minimal INTEGERs, no trailing bytes) and r and s
// from 1 to 2^(8n)-1, so that a signature has a single accepted form.
func derToRaw(der []byte, n int) ([]byte, bool) {
	var seq cryptobyte.String
	in := cryptobyte.String(der)
	r, s := new(big.Int), new(big.Int)
	if !in.ReadASN1(&seq, asn1.SEQUENCE) || !in.Empty() ||
		!seq.ReadASN1Integer(r) || !seq.ReadASN1Integer(s) || !seq.Empty() {
		return nil, false
	}
	if r.Sign() <= 0 || s.Sign() <= 0 || r.BitLen() > 8*n || s.BitLen() > 8*n {
		return nil, false
	}
	raw := make([]byte, 2*n)
	r.FillBytes(raw[:n])
	s.FillBytes(raw[n:])
	return raw, true
}
