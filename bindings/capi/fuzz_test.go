package main

import (
	"bytes"
	"testing"
)

// FuzzOpen opens arbitrary URIs: each either fails with a status (never a
// panic, never statusInternal) or gives a key that signs and verifies.
func FuzzOpen(f *testing.F) {
	for _, s := range []string{"hmac:seed=42", "hmac:seed=18446744073709551615", "hmac:key-source=env:X", "pqc:alg=ML-DSA-65", "hmac:seed=%34%32", "x:?a=b&c=d", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, uri string) {
		h, err := openKey(uri)
		if err != nil {
			if st := statusOf(err); st == statusOK || st == statusInternal || st == statusUnknown {
				t.Fatalf("openKey(%q): %v has status %d", uri, err, st)
			}
			return
		}
		defer closeKey(h)
		out := make([]byte, 8192)
		n, err := signInto(h, []byte(uri), out)
		if err != nil {
			t.Fatalf("sign with %q: %v", uri, err)
		}
		if err := verify(h, []byte(uri), bytes.Clone(out[:n])); err != nil {
			t.Fatalf("verify with %q: %v", uri, err)
		}
	})
}
