package azurekv_test

import (
	"crypto"
	"crypto/x509"
	"fmt"
	"testing"

	"github.com/tinywindow/tinywindow/internal/stdverify/stdverifytest"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/azurekv"
)

// TestLocalVerifyWycheproof publishes each Wycheproof public key in the
// vault double, opens it through the client as any key is opened, and judges
// the shared table with the handle's local Verify. The double cannot verify
// with these keys, so a Verify that asked the vault would fail.
func TestLocalVerifyWycheproof(t *testing.T) {
	v := startVault()
	defer v.Close()
	keys := map[string]provider.Key{}
	defer func() {
		for _, k := range keys {
			k.Close()
		}
	}()
	stdverifytest.Run(t, func(alg provider.Algorithm, pub crypto.PublicKey, msg, sig []byte) error {
		spki, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			t.Fatal(err)
		}
		k := keys[string(spki)+string(alg)]
		if k == nil {
			name := fmt.Sprintf("wycheproof-%d", len(keys))
			v.addPublicKey(name, pub)
			var extra []string
			if alg == provider.RSAPSSSHA256 || alg == provider.RSAPKCS1SHA256 {
				extra = append(extra, "alg="+string(alg))
			}
			if k, err = azurekv.OpenWithOptions(t.Context(), v.uri(name, extra...), v.options()); err != nil {
				t.Fatalf("opening the %s key: %v", alg, err)
			}
			if got := k.Info().Algorithm; got != alg {
				t.Fatalf("key opened as %s, want %s", got, alg)
			}
			keys[string(spki)+string(alg)] = k
		}
		return k.Verify(t.Context(), msg, sig)
	}, azurekv.Algorithms()...)
}
