// Package ecdsasig converts ECDSA signatures between the raw form r‖s, in
// which HSMs and Key Vault return them, and the ASN.1 DER form
//
//	SEQUENCE { r INTEGER, s INTEGER }
//
// that every TinyWindow backend returns. Each INTEGER is minimal: no leading
// zero byte, except one before a first byte whose high bit is set, since
// INTEGER is signed. Getting this wrong fails about one signature in 128,
// when r or s has a leading zero byte or its high bit set.
package ecdsasig

import (
	"errors"
	"fmt"
	"math/big"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// AppendDER appends the DER encoding of raw, r‖s as big-endian integers of
// size bytes each, to dst. Coordinates of up to 61 bytes (P-384 has 48) keep
// every length in DER's one-byte short form. r and s must not be zero.
func AppendDER(dst, raw []byte, size int) ([]byte, error) {
	if size < 1 || size > 61 {
		return dst, fmt.Errorf("ECDSA coordinates of %d bytes are not supported", size)
	}
	if len(raw) != 2*size {
		return dst, fmt.Errorf("ECDSA signature is %d bytes, want %d (r‖s of %d bytes each)", len(raw), 2*size, size)
	}
	r, s := minimal(raw[:size]), minimal(raw[size:])
	if len(r) == 0 || len(s) == 0 {
		return dst, errors.New("ECDSA signature has r or s equal to zero")
	}
	lr, ls := intLen(r), intLen(s)
	dst = append(dst, 0x30, byte(2+lr+2+ls))
	dst = appendInt(dst, r, lr)
	return appendInt(dst, s, ls), nil
}

// minimal strips the leading zero bytes of a big-endian integer.
func minimal(b []byte) []byte {
	for len(b) > 0 && b[0] == 0 {
		b = b[1:]
	}
	return b
}

// intLen is the length of the content of a DER INTEGER holding the positive
// minimal big-endian integer b: one more byte when its high bit is set.
func intLen(b []byte) int {
	if b[0]&0x80 != 0 {
		return len(b) + 1
	}
	return len(b)
}

func appendInt(dst, b []byte, n int) []byte {
	dst = append(dst, 0x02, byte(n))
	if n > len(b) {
		dst = append(dst, 0)
	}
	return append(dst, b...)
}

// ParseDER parses a DER ECDSA signature strictly and returns r‖s, each padded
// to size bytes. It reports false for anything but the minimal encoding of
// two integers from 1 to 2^(8·size)-1 with nothing after them, so that a
// signature has one accepted form: any other cannot be valid.
func ParseDER(der []byte, size int) ([]byte, bool) {
	var seq cryptobyte.String
	in := cryptobyte.String(der)
	r, s := new(big.Int), new(big.Int)
	if !in.ReadASN1(&seq, asn1.SEQUENCE) || !in.Empty() ||
		!seq.ReadASN1Integer(r) || !seq.ReadASN1Integer(s) || !seq.Empty() {
		return nil, false
	}
	if r.Sign() <= 0 || s.Sign() <= 0 || r.BitLen() > 8*size || s.BitLen() > 8*size {
		return nil, false
	}
	raw := make([]byte, 2*size)
	r.FillBytes(raw[:size])
	s.FillBytes(raw[size:])
	return raw, true
}
