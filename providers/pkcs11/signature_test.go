//go:build cgo && !nopkcs11

package pkcs11

import (
	"bytes"
	"crypto/ecdsa"
	"encoding/asn1"
	"encoding/hex"
	"encoding/json"
	"math/big"
	"os"
	"testing"
)

type derVector struct {
	Comment string `json:"comment"`
	Size    int    `json:"size"`
	Raw     string `json:"raw"`
	DER     string `json:"der"`
}

func loadDERVectors(t *testing.T) []derVector {
	t.Helper()
	data, err := os.ReadFile("testdata/ecdsa_raw_der.json")
	if err != nil {
		t.Fatal(err)
	}
	var file struct{ Tests []derVector }
	if err := json.Unmarshal(data, &file); err != nil {
		t.Fatal(err)
	}
	if len(file.Tests) == 0 {
		t.Fatal("no vectors")
	}
	return file.Tests
}

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRawToDER checks the r‖s → DER conversion on vectors with leading zero
// bytes and top bits set, and the way back.
func TestRawToDER(t *testing.T) {
	for _, v := range loadDERVectors(t) {
		t.Run(v.Comment, func(t *testing.T) {
			raw, want := unhex(t, v.Raw), unhex(t, v.DER)
			got, err := rawToDER(raw, v.Size)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("rawToDER = %x, want %x", got, want)
			}
			back, ok := derToRaw(want, v.Size)
			if !ok || !bytes.Equal(back, raw) {
				t.Fatalf("derToRaw = %x, %v; want %x", back, ok, raw)
			}
		})
	}
	if _, err := rawToDER(make([]byte, 63), 32); err == nil {
		t.Error("rawToDER accepted 63 bytes for P-256")
	}
}

func TestDERToRawRejects(t *testing.T) {
	for _, tc := range []struct{ name, der string }{
		{"empty", ""},
		{"trailing byte", "3006020101020101" + "00"},
		{"non-minimal INTEGER (needless zero pad)", "300702020001020101"},
		{"negative r", "30060201ff020101"},
		{"zero s", "3006020101020100"},
		{"long-form length where the short form fits", "308106020101020101"},
		{"third INTEGER", "3009020101020101020101"},
		{"r longer than the curve", "3026022101" + "0000000000000000000000000000000000000000000000000000000000000000"[:62] + "01" + "020101"},
		{"OCTET STRING instead of SEQUENCE", "0406020101020101"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if raw, ok := derToRaw(unhex(t, tc.der), 32); ok {
				t.Fatalf("derToRaw accepted %s as %x", tc.der, raw)
			}
		})
	}
}

// TestECDSALeadingZerosFromToken signs in SoftHSM until it has seen raw
// signatures whose r and whose s start with a zero byte (about one in 128
// each), and checks that their DER form verifies with ecdsa.VerifyASN1.
func TestECDSALeadingZerosFromToken(t *testing.T) {
	needKeys(t)
	for _, obj := range []string{"p256", "p384"} {
		t.Run(obj, func(t *testing.T) {
			ak := mustOpen(t, keyURI(obj)).(*AsymmetricKey)
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
				der, err := rawToDER(raw, n)
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

// FuzzRawToDER checks the conversion against encoding/asn1 and the way back,
// for any r and s of P-256 and P-384 size.
func FuzzRawToDER(f *testing.F) {
	f.Add(bytes.Repeat([]byte{0}, 63), byte(1))
	f.Add(bytes.Repeat([]byte{0xff}, 96), byte(0x80))
	f.Fuzz(func(t *testing.T, body []byte, last byte) {
		raw := append(bytes.Clone(body), last)
		var n int
		switch len(raw) {
		case 64:
			n = 32
		case 96:
			n = 48
		default:
			return
		}
		der, err := rawToDER(raw, n)
		if err != nil {
			t.Fatal(err)
		}
		r, s := new(big.Int).SetBytes(raw[:n]), new(big.Int).SetBytes(raw[n:])
		want, err := asn1.Marshal(struct{ R, S *big.Int }{r, s})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(der, want) {
			t.Fatalf("rawToDER(%x) = %x, encoding/asn1 gives %x", raw, der, want)
		}
		back, ok := derToRaw(der, n)
		if r.Sign() == 0 || s.Sign() == 0 {
			if ok {
				t.Fatalf("derToRaw accepted a zero r or s: %x", der)
			}
			return
		}
		if !ok || !bytes.Equal(back, raw) {
			t.Fatalf("derToRaw(%x) = %x, %v; want %x", der, back, ok, raw)
		}
	})
}
