//go:build cgo && !nopkcs11

package pkcs11

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/tinywindow/tinywindow/internal/stdverify/stdverifytest"
	"github.com/tinywindow/tinywindow/internal/testenv"
	"github.com/tinywindow/tinywindow/provider"
	_ "github.com/tinywindow/tinywindow/providers/pem"
)

// TestPublicKeyAgreesWithToken opens each SoftHSM2 key's PEM public key
// (what `tinywindow pubkey` prints) as a pem:pub-source verify-only key and
// checks that it judges the token's signatures, and altered ones, exactly as
// the token's own C_Verify does (verify=hsm).
func TestPublicKeyAgreesWithToken(t *testing.T) {
	needKeys(t)
	for _, tc := range []struct{ object, alg string }{
		{"p256", ""}, {"p384", ""}, {"ed25519", ""}, {"rsa", ""}, {"rsa", "RSA-PKCS1-SHA256"},
	} {
		t.Run(tc.object+tc.alg, func(t *testing.T) {
			extra := []string{"verify=hsm"}
			algAttr := ""
			if tc.alg != "" {
				extra = append(extra, "alg="+tc.alg)
				algAttr = ";alg=" + tc.alg
			}
			signer := testenv.MustOpen(t, keyURI(tc.object, extra...))
			pemText, err := signer.(provider.PublicKeyPEMer).PublicKeyPEM()
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "pub.pem")
			if err := os.WriteFile(path, pemText, 0o644); err != nil {
				t.Fatal(err)
			}
			public := testenv.MustOpen(t, "pem:pub-source=file:"+path+algAttr)
			if public.Info().ID != signer.Info().ID {
				t.Errorf("the public key's ID is %s, the token key's %s", public.Info().ID, signer.Info().ID)
			}
			stdverifytest.Agree(t, signer, public)
		})
	}
}
