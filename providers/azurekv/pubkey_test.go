package azurekv_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/tinywindow/tinywindow/internal/stdverify/stdverifytest"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/azurekv"
	_ "github.com/tinywindow/tinywindow/providers/pem"
)

// TestPublicKeyAgreesWithVault opens each vault double key's PEM public key
// (what `tinywindow pubkey` prints) as a pem:pub-source verify-only key and
// checks that it judges the vault's signatures, and altered ones, exactly as
// the vault's own verify operation does (verify=remote).
func TestPublicKeyAgreesWithVault(t *testing.T) {
	v := startVault()
	defer v.Close()
	for _, kc := range keyCases {
		t.Run(kc.name, func(t *testing.T) {
			extra, algAttr := []string{"verify=remote"}, ""
			if kc.alg != "" {
				extra = append(extra, kc.alg)
				algAttr = ";" + kc.alg
			}
			signer, err := azurekv.OpenWithOptions(t.Context(), v.uri(kc.key, extra...), v.options())
			if err != nil {
				t.Fatal(err)
			}
			defer signer.Close()
			pemText, err := signer.PublicKeyPEM()
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "pub.pem")
			if err := os.WriteFile(path, pemText, 0o644); err != nil {
				t.Fatal(err)
			}
			public, err := provider.Open(t.Context(), "pem:pub-source=file:"+path+algAttr)
			if err != nil {
				t.Fatal(err)
			}
			defer public.Close()
			stdverifytest.Agree(t, signer, public)
		})
	}
}
