package stdverify_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"strings"
	"testing"

	"github.com/tinywindow/tinywindow/internal/stdverify"
	"github.com/tinywindow/tinywindow/internal/stdverify/stdverifytest"
	"github.com/tinywindow/tinywindow/provider"
)

// TestCheckSizeAgrees checks, over the Wycheproof table, that CheckSize with
// the Size of the vector's key never refuses a signature that Verify
// accepts, for every algorithm with a rule.
func TestCheckSizeAgrees(t *testing.T) {
	valid := 0
	for _, alg := range stdverifytest.AllAlgorithms {
		for _, c := range stdverifytest.Cases(t, alg) {
			if stdverify.Verify(c.Alg, c.Pub, c.Msg, c.Sig) != nil {
				continue
			}
			valid++
			if err := stdverify.CheckSize(c.Alg, stdverify.Size(c.Alg, c.Pub), c.Sig); err != nil {
				t.Errorf("%v: verifies, but CheckSize refuses it: %v", &c, err)
			}
		}
	}
	if valid == 0 {
		t.Fatal("no valid vectors in the table; this test checks nothing")
	}
}

func TestSize(t *testing.T) {
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	p521, _ := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	edPub, _, _ := ed25519.GenerateKey(rand.Reader)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		alg  provider.Algorithm
		pub  any
		want int
	}{
		{"P-256", provider.ECDSAP256SHA256, &p256.PublicKey, 72},
		{"P-384", provider.ECDSAP384SHA384, &p384.PublicKey, 104},
		{"P-521", provider.ECDSAP521SHA512, &p521.PublicKey, 139},
		{"Ed25519", provider.Ed25519, edPub, 64},
		{"RSA-PSS 2048", provider.RSAPSSSHA256, &rsaKey.PublicKey, 256},
		{"RSA-PKCS1 2048", provider.RSAPKCS1SHA256, &rsaKey.PublicKey, 256},
		{"key of another curve", provider.ECDSAP256SHA256, &p384.PublicKey, 0},
		{"key of another type", provider.Ed25519, &rsaKey.PublicKey, 0},
		{"algorithm without a rule", provider.HMACSHA256, edPub, 0},
	} {
		if got := stdverify.Size(tc.alg, tc.pub); got != tc.want {
			t.Errorf("%s: Size = %d, want %d", tc.name, got, tc.want)
		}
	}
}

func TestCheckSize(t *testing.T) {
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, err := ecdsa.SignASN1(rand.Reader, p256, make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		alg     provider.Algorithm
		size    int
		sig     []byte
		wantErr string // "" for a signature of the right shape
	}{
		{"ECDSA DER", provider.ECDSAP256SHA256, 72, der, ""},
		{"ECDSA too short", provider.ECDSAP256SHA256, 72, der[:7], "is 7 bytes; a DER signature of this key is 8 to 72 bytes"},
		{"ECDSA too long", provider.ECDSAP256SHA256, 72, make([]byte, 73), "is 73 bytes; a DER signature of this key is 8 to 72 bytes"},
		{"ECDSA DER with a trailing byte", provider.ECDSAP256SHA256, 73, append(der[:len(der):len(der)], 0), "not a DER SEQUENCE of two positive INTEGERs of at most 32 bytes"},
		{"ECDSA raw r‖s", provider.ECDSAP256SHA256, 72, make([]byte, 64), "has the size of a raw r‖s"},
		{"Ed25519 exact", provider.Ed25519, 64, make([]byte, 64), ""},
		{"Ed25519 one byte short", provider.Ed25519, 64, make([]byte, 63), "is 63 bytes; this key's signatures are exactly 64"},
		{"RSA one byte long", provider.RSAPSSSHA256, 256, make([]byte, 257), "is 257 bytes; this key's signatures are exactly 256"},
		{"ML-DSA exact", provider.MLDSA44, 2420, make([]byte, 2420), ""},
	} {
		err := stdverify.CheckSize(tc.alg, tc.size, tc.sig)
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("%s: CheckSize = %v, want nil", tc.name, err)
		case tc.wantErr != "" && (!errors.Is(err, provider.ErrInvalidSignature) || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%s: CheckSize = %v, want ErrInvalidSignature saying %q", tc.name, err, tc.wantErr)
		}
	}
}
