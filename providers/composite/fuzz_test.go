package composite_test

import (
	"errors"
	"testing"

	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/composite"
)

// FuzzParsePKIXPublicKey: any bytes either parse into a public key that
// re-encodes to the same bytes, or are refused with ErrInvalidConfig; never
// a panic.
func FuzzParsePKIXPublicKey(f *testing.F) {
	for i, alg := range composite.Algorithms() {
		k, err := openComposite(f.Context(), softURI(f, alg, byte(70+i)))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(k.PublicKeyDER())
		k.Close()
	}
	f.Fuzz(func(t *testing.T, der []byte) {
		pub, err := composite.ParsePKIXPublicKey(der)
		if err != nil {
			if !errors.Is(err, provider.ErrInvalidConfig) {
				t.Fatalf("error %v is not ErrInvalidConfig", err)
			}
			return
		}
		again, err := pub.MarshalPKIX()
		if err != nil {
			t.Fatalf("a parsed key does not re-encode: %v", err)
		}
		if string(again) != string(der) {
			t.Fatalf("re-encoding differs:\n%x\n%x", der, again)
		}
	})
}

// FuzzVerify: any signature bytes are valid or an invalid signature; never
// a panic nor another error.
func FuzzVerify(f *testing.F) {
	k, err := openComposite(f.Context(), softURI(f, composite.MLDSA44ECDSAP256SHA256, 90))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { k.Close() })
	pub, _ := k.Public().(*composite.PublicKey)
	v, err := composite.NewVerifier(pub)
	if err != nil {
		f.Fatal(err)
	}
	sig, _ := k.Sign(f.Context(), []byte("m"))
	f.Add([]byte("m"), sig)
	f.Add([]byte("m"), sig[:2430])
	f.Fuzz(func(t *testing.T, msg, sig []byte) {
		for _, key := range []provider.Verifier{k, v} {
			if err := key.Verify(t.Context(), msg, sig); err != nil && !errors.Is(err, provider.ErrInvalidSignature) {
				t.Fatalf("Verify: %v", err)
			}
		}
	})
}
