package provider_test

import (
	"crypto"
	"errors"
	"strings"
	"testing"

	"github.com/tinywindow/tinywindow/provider"
)

func TestAlgorithmHash(t *testing.T) {
	want := map[provider.Algorithm]crypto.Hash{
		provider.HMACSHA256:      crypto.SHA256,
		provider.MLDSA44:         0,
		provider.MLDSA65:         0,
		provider.MLDSA87:         0,
		provider.SLHDSASHA2128s:  0,
		provider.SLHDSASHA2128f:  0,
		provider.ECDSAP256SHA256: crypto.SHA256,
		provider.ECDSAP384SHA384: crypto.SHA384,
		provider.ECDSAP521SHA512: crypto.SHA512,
		provider.Ed25519:         0,
		provider.RSAPSSSHA256:    crypto.SHA256,
		provider.RSAPKCS1SHA256:  crypto.SHA256,
		// Composite keys sign the message itself (their pre-hash is inside
		// the composite algorithm), so no digest is handed to them.
		provider.MLDSA44RSA2048PSSSHA256:    0,
		provider.MLDSA44RSA2048PKCS15SHA256: 0,
		provider.MLDSA44Ed25519SHA512:       0,
		provider.MLDSA44ECDSAP256SHA256:     0,
		provider.MLDSA65RSA3072PSSSHA512:    0,
		provider.MLDSA65RSA3072PKCS15SHA512: 0,
		provider.MLDSA65ECDSAP256SHA512:     0,
		provider.MLDSA65ECDSAP384SHA512:     0,
		provider.MLDSA65Ed25519SHA512:       0,
		provider.MLDSA87ECDSAP384SHA512:     0,
		provider.MLDSA87RSA3072PSSSHA512:    0,
	}
	for _, a := range provider.Algorithms() {
		w, ok := want[a]
		if !ok {
			t.Errorf("%s: no expected hash in this table; add one", a)
			continue
		}
		if got := a.Hash(); got != w {
			t.Errorf("%s.Hash() = %v, want %v", a, got, w)
		}
	}
	if got := provider.Algorithm("SHA-256").Hash(); got != 0 {
		t.Errorf("unknown algorithm's Hash() = %v, want 0", got)
	}
}

// TestParseAlgorithmCase: a name in any case gives the one spelling of the
// constant; a name that is not known is refused with the list.
func TestParseAlgorithmCase(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want provider.Algorithm
	}{
		{"ML-DSA-65", provider.MLDSA65},
		{"ml-dsa-65", provider.MLDSA65},
		{"ed25519", provider.Ed25519},
		{"ECDSA-p256-sha256", provider.ECDSAP256SHA256},
		{"slh-dsa-sha2-128S", provider.SLHDSASHA2128s},
		{"mldsa65-ecdsa-p256-sha512", provider.MLDSA65ECDSAP256SHA512},
	} {
		got, err := provider.ParseAlgorithm(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseAlgorithm(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "MLDSA-65", "ML-DSA-65 ", "DSA"} {
		if _, err := provider.ParseAlgorithm(bad); !errors.Is(err, provider.ErrUnsupported) || !strings.Contains(err.Error(), "ML-DSA-65") {
			t.Errorf("ParseAlgorithm(%q): %v, want ErrUnsupported listing the names", bad, err)
		}
	}
}
