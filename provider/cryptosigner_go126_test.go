//go:build !go1.27

package provider_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/pqc"
)

// TestCryptoSignerMLDSANeedsGo127 checks that, built with Go 1.26, a
// crypto.Signer for an ML-DSA key is refused at once, saying Go 1.27 is
// needed, rather than later inside crypto/x509 with its generic message.
func TestCryptoSignerMLDSANeedsGo127(t *testing.T) {
	for _, alg := range []provider.Algorithm{provider.MLDSA44, provider.MLDSA65, provider.MLDSA87} {
		k, err := pqc.NewFromSeed(make([]byte, 32), pqc.Options{Algorithm: alg})
		if err != nil {
			t.Fatal(err)
		}
		defer k.Close()
		cs, err := provider.CryptoSigner(t.Context(), k)
		var gv *provider.GoVersionError
		if cs != nil || !errors.As(err, &gv) || !errors.Is(err, provider.ErrUnsupported) || !strings.Contains(err.Error(), "needs Go 1.27") {
			t.Errorf("%s: CryptoSigner: %v, %v; want a *GoVersionError matching ErrUnsupported saying it needs Go 1.27", alg, cs, err)
		}
	}
}
