package spki_test

import (
	"bytes"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"strings"
	"testing"

	"github.com/tinywindow/tinywindow/internal/spki"
	"github.com/tinywindow/tinywindow/provider"
)

var oidEd25519 = asn1.ObjectIdentifier{1, 3, 101, 112}

// TestParse reads back what Marshal writes and refuses what is not one
// SubjectPublicKeyInfo of whole bytes.
func TestParse(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	der, err := spki.Marshal(oidEd25519, key)
	if err != nil {
		t.Fatal(err)
	}
	info, err := spki.Parse(der)
	if err != nil || !info.Algorithm.Equal(oidEd25519) || len(info.Parameters) != 0 || !bytes.Equal(info.PublicKey, key) {
		t.Fatalf("Parse(Marshal) = %+v, %v", info, err)
	}
	padded := append(bytes.Clone(key[:31]), 0xf8) // 5 bits and 3 unused, zero
	unused, _ := asn1.Marshal(struct {
		Alg struct{ OID asn1.ObjectIdentifier }
		Key asn1.BitString
	}{struct{ OID asn1.ObjectIdentifier }{oidEd25519}, asn1.BitString{Bytes: padded, BitLength: 8*len(padded) - 3}})
	for _, tc := range []struct {
		name string
		der  []byte
		msg  string
	}{
		{"trailing data", append(bytes.Clone(der), 0), "1 bytes of trailing data"},
		{"unused bits", unused, "does not hold whole bytes"},
		{"not DER", []byte{0x30, 0x01}, "not a DER SubjectPublicKeyInfo"},
		{"empty", nil, "not a DER SubjectPublicKeyInfo"},
	} {
		if _, err := spki.Parse(tc.der); !errors.Is(err, provider.ErrInvalidConfig) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: %v, want ErrInvalidConfig saying %q", tc.name, err, tc.msg)
		}
	}
}

// TestDecodePEM takes one PUBLIC KEY block with white space around it and
// refuses it over the size limit.
func TestDecodePEM(t *testing.T) {
	der, _ := spki.Marshal(oidEd25519, make([]byte, 32))
	text := pem.EncodeToMemory(&pem.Block{Type: spki.PEMType, Bytes: der})
	padded := append(append([]byte("\n\t "), text...), "\n\n"...)
	got, err := spki.DecodePEM(padded, len(padded))
	if err != nil || !bytes.Equal(got, der) {
		t.Fatalf("DecodePEM with white space around: %v", err)
	}
	if _, err := spki.DecodePEM(padded, len(padded)-1); !errors.Is(err, provider.ErrInvalidConfig) || !strings.Contains(err.Error(), "limit") {
		t.Errorf("one byte over the limit: %v", err)
	}
}
