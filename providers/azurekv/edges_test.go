package azurekv_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"fmt"
	"testing"

	"github.com/tinywindow/tinywindow/providers/azurekv"
)

// TestECDSAEncodingEdges drives signatures whose r or s has a leading zero
// byte (with the next byte's high bit clear or set) or a first byte with the
// high bit set through the real client, and checks that the DER we return is
// the one the standard library writes for the same r and s. The double signs
// per RFC 6979 here, so the message giving each case is found by searching
// with the same private key, deterministically.
func TestECDSAEncodingEdges(t *testing.T) {
	v := startVault()
	defer v.Close()
	v.setDeterministic(true)
	cases := []struct {
		name string
		want func(r, s []byte) bool
	}{
		{"r has a leading zero byte, next byte below 0x80", func(r, _ []byte) bool { return r[0] == 0 && r[1] < 0x80 }},
		{"r has a leading zero byte, next byte 0x80 or above", func(r, _ []byte) bool { return r[0] == 0 && r[1] >= 0x80 }},
		{"s has a leading zero byte, next byte below 0x80", func(_, s []byte) bool { return s[0] == 0 && s[1] < 0x80 }},
		{"s has a leading zero byte, next byte 0x80 or above", func(_, s []byte) bool { return s[0] == 0 && s[1] >= 0x80 }},
		{"r and s have the high bit set", func(r, s []byte) bool { return r[0] >= 0x80 && s[0] >= 0x80 }},
		{"r and s have neither zero byte nor high bit", func(r, s []byte) bool { return r[0] > 0 && r[0] < 0x80 && s[0] > 0 && s[0] < 0x80 }},
	}
	for _, kc := range []struct {
		key  string
		size int
		hash crypto.Hash
	}{{"p256", 32, crypto.SHA256}, {"p384", 48, crypto.SHA384}} {
		priv := loadKey(kc.key).(*ecdsa.PrivateKey)
		local, err := azurekv.OpenWithOptions(t.Context(), v.uri(kc.key), v.options())
		if err != nil {
			t.Fatal(err)
		}
		defer local.Close()
		remote, err := azurekv.OpenWithOptions(t.Context(), v.uri(kc.key, "verify=remote"), v.options())
		if err != nil {
			t.Fatal(err)
		}
		defer remote.Close()
		for _, c := range cases {
			t.Run(kc.key+"/"+c.name, func(t *testing.T) {
				var msg, want []byte
				for i := 0; i < 50000 && want == nil; i++ {
					m := fmt.Appendf(nil, "order %d", i)
					der, err := priv.Sign(nil, hashMsg(kc.hash, m), kc.hash) // RFC 6979
					if err != nil {
						t.Fatal(err)
					}
					raw := rawSig(der, kc.size)
					if c.want(raw[:kc.size], raw[kc.size:]) {
						msg, want = m, der
					}
				}
				if want == nil {
					t.Fatal("no message in 50000 gives this case")
				}
				sig, err := local.Sign(t.Context(), msg)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(sig, want) {
					t.Fatalf("message %q: signature\n %x\nwant the standard library's DER\n %x", msg, sig, want)
				}
				if !ecdsa.VerifyASN1(&priv.PublicKey, hashMsg(kc.hash, msg), sig) {
					t.Fatal("crypto/ecdsa rejects the signature")
				}
				if err := local.Verify(t.Context(), msg, sig); err != nil {
					t.Fatalf("local Verify: %v", err)
				}
				if err := remote.Verify(t.Context(), msg, sig); err != nil {
					t.Fatalf("remote Verify: %v", err)
				}
			})
		}
	}
}
