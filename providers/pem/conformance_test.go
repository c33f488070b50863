package pem_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	stdpem "encoding/pem"
	"testing"

	"github.com/tinywindow/tinywindow/internal/testenv"
	"golang.org/x/crypto/ssh"

	"github.com/tinywindow/tinywindow/conformance"
	"github.com/tinywindow/tinywindow/provider"
)

// encodings are the PEM forms a key of each type can be written in.
var encodings = map[string]func(testing.TB, crypto.Signer) []byte{
	"PKCS8": pkcs8,
	"SEC1": func(t testing.TB, priv crypto.Signer) []byte {
		der, err := x509.MarshalECPrivateKey(priv.(*ecdsa.PrivateKey))
		if err != nil {
			t.Fatal(err)
		}
		return stdpem.EncodeToMemory(&stdpem.Block{Type: "EC PRIVATE KEY", Bytes: der})
	},
	"PKCS1": func(t testing.TB, priv crypto.Signer) []byte {
		return stdpem.EncodeToMemory(&stdpem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(priv.(*rsa.PrivateKey))})
	},
	"OpenSSH": func(t testing.TB, priv crypto.Signer) []byte {
		b, err := ssh.MarshalPrivateKey(priv, "tinywindow test")
		if err != nil {
			t.Fatal(err)
		}
		return stdpem.EncodeToMemory(b)
	},
}

// TestConformance runs the shared suite on every algorithm, with keys in
// PKCS#8 opened through their URIs.
func TestConformance(t *testing.T) {
	for _, tc := range []struct {
		alg   provider.Algorithm
		extra string
		small bool // slow to sign: a smaller concurrency check
	}{
		{provider.Ed25519, "", false},
		{provider.ECDSAP256SHA256, "", false},
		{provider.ECDSAP384SHA384, "", false},
		{provider.ECDSAP521SHA512, "", true},
		{provider.RSAPSSSHA256, "", true},
		{provider.RSAPKCS1SHA256, ";alg=RSA-PKCS1-SHA256", true},
	} {
		t.Run(string(tc.alg), func(t *testing.T) {
			path := writeKeyFile(t, "key.pem", pkcs8(t, sharedKey(t, tc.alg, 0)))
			otherPath := writeKeyFile(t, "other.pem", pkcs8(t, sharedKey(t, tc.alg, 1)))
			s := conformance.Subject{
				Open:  conformance.OpenURI("pem:key-source=file:" + path + tc.extra),
				Other: conformance.OpenURI("pem:key-source=file:" + otherPath + tc.extra),
			}
			if tc.small {
				s.Goroutines, s.OpsPerGoroutine = 8, 2
			}
			conformance.Test(t, s)
		})
	}
}

// TestForms opens the same key from every PEM form that can hold it: each
// gives the same key ID and algorithm, and its signatures verify with the
// key opened from PKCS#8.
func TestForms(t *testing.T) {
	for _, tc := range []struct {
		alg   provider.Algorithm
		forms []string
		extra string
	}{
		{provider.Ed25519, []string{"OpenSSH"}, ""},
		{provider.ECDSAP256SHA256, []string{"SEC1", "OpenSSH"}, ""},
		{provider.ECDSAP384SHA384, []string{"SEC1", "OpenSSH"}, ""},
		{provider.ECDSAP521SHA512, []string{"SEC1", "OpenSSH"}, ""},
		{provider.RSAPSSSHA256, []string{"PKCS1", "OpenSSH"}, ""},
		{provider.RSAPKCS1SHA256, []string{"PKCS1", "OpenSSH"}, ";alg=RSA-PKCS1-SHA256"},
	} {
		priv := sharedKey(t, tc.alg, 0)
		ref := testenv.MustOpen(t, "pem:key-source=file:"+writeKeyFile(t, "ref.pem", pkcs8(t, priv))+tc.extra)
		for _, form := range tc.forms {
			t.Run(string(tc.alg)+"/"+form, func(t *testing.T) {
				k := testenv.MustOpen(t, "pem:key-source=file:"+writeKeyFile(t, "key.pem", encodings[form](t, priv))+tc.extra)
				if k.Info() != ref.Info() {
					t.Fatalf("Info %+v, want %+v as from PKCS#8", k.Info(), ref.Info())
				}
				msg := []byte("order 1")
				sig, err := k.Sign(t.Context(), msg)
				if err != nil {
					t.Fatal(err)
				}
				if err := ref.Verify(t.Context(), msg, sig); err != nil {
					t.Fatalf("the PKCS#8 key rejects the %s key's signature: %v", form, err)
				}
			})
		}
	}
}

var sharedKeys = map[string]crypto.Signer{}

// sharedKey returns the i-th test key of alg, made once. RSA test keys are
// 2048 bits, the smallest accepted, to keep the tests quick.
func sharedKey(t testing.TB, alg provider.Algorithm, i int) crypto.Signer {
	t.Helper()
	if alg == provider.RSAPKCS1SHA256 {
		alg = provider.RSAPSSSHA256
	}
	id := string(alg) + string(rune('0'+i))
	if k, ok := sharedKeys[id]; ok {
		return k
	}
	var k crypto.Signer
	if alg == provider.RSAPSSSHA256 {
		r, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		k = r
	} else {
		k = newKey(t, alg)
	}
	sharedKeys[id] = k
	return k
}
