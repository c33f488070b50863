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
	return appendDER(nil, raw, n)
}

// appendDER is rawToDER appending to dst. Curves up to 61-byte coordinates
// (P-384 has 48) keep every length in DER's one-byte short form.
func appendDER(dst, raw []byte, n int) ([]byte, error) {
	if len(raw) != 2*n {
		return dst, fmt.Errorf("ECDSA signature from the token is %d bytes, want %d (r and s of %d bytes)", len(raw), 2*n, n)
	}
	if n < 1 || n > 61 {
		return dst, fmt.Errorf("ECDSA coordinates of %d bytes are not supported", n)
	}
	r, s := minimal(raw[:n]), minimal(raw[n:])
	rl, sl := intLen(r), intLen(s)
	dst = append(dst, 0x30, byte(2+rl+2+sl))
	dst = appendInt(dst, r, rl)
	return appendInt(dst, s, sl), nil
}

// minimal drops leading zero bytes, keeping at least one byte.
func minimal(v []byte) []byte {
	for len(v) > 1 && v[0] == 0 {
		v = v[1:]
	}
	return v
}

// intLen is the length of the INTEGER contents for the unsigned v: one more
// byte when the top bit is set, so the value stays positive.
func intLen(v []byte) int {
	if v[0]&0x80 != 0 {
		return len(v) + 1
	}
	return len(v)
}

func appendInt(dst, v []byte, l int) []byte {
	dst = append(dst, 0x02, byte(l))
	if l > len(v) {
		dst = append(dst, 0)
	}
	return append(dst, v...)
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
