//go:build cgo && !nopkcs11

package pkcs11

import (
	"crypto/ecdsa"
	"testing"

	"github.com/tinywindow/tinywindow/internal/ecdsasig"
	"github.com/tinywindow/tinywindow/internal/testenv"
)

// TestECDSALeadingZerosFromToken signs in SoftHSM until it has seen raw
// signatures whose r and whose s start with a zero byte (about one in 128
// each), and checks that their DER form verifies with ecdsa.VerifyASN1.
func TestECDSALeadingZerosFromToken(t *testing.T) {
	needKeys(t)
	for _, obj := range []string{"p256", "p384"} {
		t.Run(obj, func(t *testing.T) {
			ak := testenv.MustOpen(t, keyURI(obj)).(*AsymmetricKey)
			k := ak.Key
			pub := ak.Public().(*ecdsa.PublicKey)
			n := k.coordSize
			var zeroR, zeroS, checked int
			for i := 0; i < 20000 && (zeroR == 0 || zeroS == 0); i++ {
				msg := []byte{byte(i), byte(i >> 8), byte(i >> 16)}
				d := k.digest(nil, msg)
				raw, err := k.signRaw(t.Context(), k.digestMech, d)
				if err != nil {
					t.Fatal(err)
				}
				lzR, lzS := raw[0] == 0, raw[n] == 0
				if !lzR && !lzS && i%64 != 0 {
					continue
				}
				if lzR {
					zeroR++
				}
				if lzS {
					zeroS++
				}
				der, err := ecdsasig.AppendDER(nil, raw, n)
				if err != nil {
					t.Fatal(err)
				}
				checked++
				if !ecdsa.VerifyASN1(pub, d, der) {
					t.Fatalf("signature %x (raw %x) does not verify with ecdsa.VerifyASN1", der, raw)
				}
				if err := k.Verify(t.Context(), msg, der); err != nil {
					t.Fatalf("Verify of %x: %v", der, err)
				}
			}
			if zeroR == 0 || zeroS == 0 {
				t.Fatalf("saw %d signatures with a leading zero r and %d with a leading zero s; want both", zeroR, zeroS)
			}
			t.Logf("checked %d signatures, %d with a leading zero r, %d with a leading zero s", checked, zeroR, zeroS)
		})
	}
}
