package stdverify_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"testing"

	"github.com/tinywindow/tinywindow/internal/ecdsasig"
	"github.com/tinywindow/tinywindow/internal/stdverify"
	"github.com/tinywindow/tinywindow/internal/stdverify/stdverifytest"
	"github.com/tinywindow/tinywindow/provider"
)

func TestWycheproof(t *testing.T) {
	stdverifytest.Run(t, stdverify.Verify, stdverifytest.AllAlgorithms...)
}

// TestAcceptableIsInvalid pins how Wycheproof's "acceptable" vectors are
// judged: as invalid.
func TestAcceptableIsInvalid(t *testing.T) {
	n := 0
	for _, alg := range stdverifytest.Algorithms {
		for _, c := range stdverifytest.Cases(t, alg) {
			if c.Result != "acceptable" {
				continue
			}
			n++
			if err := stdverify.Verify(c.Alg, c.Pub, c.Msg, c.Sig); !errors.Is(err, provider.ErrInvalidSignature) {
				t.Errorf("%v: Verify = %v, want ErrInvalidSignature", &c, err)
			}
		}
	}
	if n == 0 {
		t.Fatal("no acceptable vectors in the table; this test checks nothing")
	}
}

// TestDERPrecheckAgrees checks that the strict DER parser the remote and
// in-token ECDSA paths run before sending a signature off never refuses a
// signature that the local rule accepts.
func TestDERPrecheckAgrees(t *testing.T) {
	for alg, size := range map[provider.Algorithm]int{provider.ECDSAP256SHA256: 32, provider.ECDSAP384SHA384: 48} {
		for _, c := range stdverifytest.Cases(t, alg) {
			_, parsed := ecdsasig.ParseDER(c.Sig, size)
			if stdverify.Verify(c.Alg, c.Pub, c.Msg, c.Sig) == nil && !parsed {
				t.Errorf("%v: verifies, but ecdsasig.ParseDER refuses it", &c)
			}
		}
	}
}

// TestPSSSaltLength: a salt as long as the hash verifies; every other length
// a signer may pick, including the longest, which crypto/rsa (and local-kms)
// use by default, is invalid.
func TestPSSSaltLength(t *testing.T) {
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("order 42")
	d := sha256.Sum256(msg)
	for _, tc := range []struct {
		salt  int
		valid bool
	}{
		{rsa.PSSSaltLengthEqualsHash, true},
		{32, true},
		{rsa.PSSSaltLengthAuto, false}, // the longest: 256-32-2 = 222 bytes
		{0, false},
		{20, false},
		{31, false},
		{33, false},
		{64, false},
	} {
		sig, err := rsa.SignPSS(rand.Reader, priv, crypto.SHA256, d[:], &rsa.PSSOptions{SaltLength: tc.salt})
		if err != nil {
			t.Fatal(err)
		}
		err = stdverify.Verify(provider.RSAPSSSHA256, &priv.PublicKey, msg, sig)
		if tc.valid && err != nil || !tc.valid && !errors.Is(err, provider.ErrInvalidSignature) {
			t.Errorf("salt length %d: Verify = %v, want valid=%v", tc.salt, err, tc.valid)
		}
	}
	sig, err := priv.Sign(rand.Reader, d[:], stdverify.PSSOptions(crypto.SHA256))
	if err != nil {
		t.Fatal(err)
	}
	if err := stdverify.Verify(provider.RSAPSSSHA256, &priv.PublicKey, msg, sig); err != nil {
		t.Errorf("signature made with PSSOptions: %v", err)
	}
}

// TestKeyMismatch: a key that does not fit the algorithm is ErrUnsupported,
// never ErrInvalidSignature, and never panics.
func TestKeyMismatch(t *testing.T) {
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	edPub, _, _ := ed25519.GenerateKey(rand.Reader)
	for _, tc := range []struct {
		name string
		alg  provider.Algorithm
		pub  crypto.PublicKey
	}{
		{"P-384 key for P-256", provider.ECDSAP256SHA256, &p384.PublicKey},
		{"P-256 key for P-384", provider.ECDSAP384SHA384, &p256.PublicKey},
		{"Ed25519 key for ECDSA", provider.ECDSAP256SHA256, edPub},
		{"short Ed25519 key", provider.Ed25519, edPub[:31]},
		{"ECDSA key for Ed25519", provider.Ed25519, &p256.PublicKey},
		{"ECDSA key for RSA-PSS", provider.RSAPSSSHA256, &p256.PublicKey},
		{"empty RSA key", provider.RSAPKCS1SHA256, &rsa.PublicKey{}},
		{"nil key", provider.RSAPSSSHA256, nil},
		{"ECDSA value, not pointer", provider.ECDSAP256SHA256, p256.PublicKey},
		{"HMAC", provider.HMACSHA256, nil},
		{"ML-DSA", provider.MLDSA65, nil},
		{"unknown", provider.Algorithm("RSA-PSS-SHA1"), nil},
	} {
		err := stdverify.Verify(tc.alg, tc.pub, []byte("m"), make([]byte, 64))
		if !errors.Is(err, provider.ErrUnsupported) || errors.Is(err, provider.ErrInvalidSignature) {
			t.Errorf("%s: Verify = %v, want ErrUnsupported only", tc.name, err)
		}
	}
}

func TestSupports(t *testing.T) {
	for _, alg := range provider.Algorithms() {
		want := false
		for _, a := range stdverifytest.AllAlgorithms {
			want = want || a == alg
		}
		if got := stdverify.Supports(alg); got != want {
			t.Errorf("Supports(%s) = %v, want %v", alg, got, want)
		}
	}
}
