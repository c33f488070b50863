package azurekv

import (
	"errors"
	"fmt"
)

// Key Vault returns an ECDSA signature as r‖s, each a big-endian integer
// padded to the curve's size; TinyWindow's ECDSA signatures are the ASN.1 DER
//
//	SEQUENCE { r INTEGER, s INTEGER }
//
// in which each INTEGER is minimal: no leading zero byte, except one zero
// byte before a first byte whose high bit is set, since INTEGER is signed.
// Both curves here (P-256, P-384) give DER shorter than 128 bytes, so every
// length is one byte.

// appendDER appends the DER encoding of the raw signature r‖s to dst. raw
// must be 2*size bytes, and r and s must not be zero.
func appendDER(dst, raw []byte, size int) ([]byte, error) {
	if len(raw) != 2*size {
		return dst, fmt.Errorf("ECDSA signature from the vault is %d bytes, want %d (r‖s of %d bytes each)", len(raw), 2*size, size)
	}
	r, s := minimal(raw[:size]), minimal(raw[size:])
	if len(r) == 0 || len(s) == 0 {
		return dst, errors.New("ECDSA signature from the vault has r or s equal to zero")
	}
	lr, ls := intLen(r), intLen(s)
	dst = append(dst, 0x30, byte(2+lr+2+ls))
	dst = appendInt(dst, r, lr)
	dst = appendInt(dst, s, ls)
	return dst, nil
}

// minimal strips the leading zero bytes of a big-endian integer.
func minimal(b []byte) []byte {
	for len(b) > 0 && b[0] == 0 {
		b = b[1:]
	}
	return b
}

// intLen is the length of the content of a DER INTEGER holding the positive
// minimal big-endian integer b.
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

// rawFromDER parses a DER ECDSA signature strictly and returns r‖s, each
// padded to size bytes. It reports false for anything that is not the
// minimal encoding of two positive integers of at most size bytes, with
// nothing after it: such a signature cannot be valid.
func rawFromDER(der []byte, size int) ([]byte, bool) {
	if len(der) < 2 || der[0] != 0x30 || der[1] >= 0x80 || int(der[1]) != len(der)-2 {
		return nil, false
	}
	rest := der[2:]
	raw := make([]byte, 2*size)
	for i := range 2 {
		var v []byte
		var ok bool
		v, rest, ok = readInt(rest)
		if !ok || len(v) > size {
			return nil, false
		}
		copy(raw[(i+1)*size-len(v):(i+1)*size], v)
	}
	if len(rest) != 0 {
		return nil, false
	}
	return raw, true
}

// readInt reads one minimal DER INTEGER that is positive, and returns its
// value without the sign byte.
func readInt(b []byte) (v, rest []byte, ok bool) {
	if len(b) < 3 || b[0] != 0x02 || b[1] == 0 || b[1] >= 0x80 || int(b[1]) > len(b)-2 {
		return nil, nil, false
	}
	n := int(b[1])
	v, rest = b[2:2+n], b[2+n:]
	switch {
	case v[0]&0x80 != 0: // negative
		return nil, nil, false
	case v[0] == 0 && (n == 1 || v[1]&0x80 == 0): // zero, or not minimal
		return nil, nil, false
	case v[0] == 0:
		v = v[1:]
	}
	return v, rest, true
}
