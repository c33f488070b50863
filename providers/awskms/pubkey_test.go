package awskms_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/tinywindow/tinywindow/internal/stdverify/stdverifytest"
	"github.com/tinywindow/tinywindow/provider"
	_ "github.com/tinywindow/tinywindow/providers/pem"
)

// TestPublicKeyAgreesWithKMS opens each local-kms key's PEM public key (what
// `tinywindow pubkey` prints) as a pem:pub-source verify-only key and checks
// that it judges the KMS's signatures, and altered ones, exactly as the
// KMS's own Verify does (verify=remote). RSA is left out: local-kms signs
// RSA-PSS with a salt AWS KMS never uses (localKMSPSSSalt), so there the
// two rightly disagree; TestLocalKMSPSSSalt covers it.
func TestPublicKeyAgreesWithKMS(t *testing.T) {
	l := needKMS(t)
	for _, key := range []string{"alias/tw-p256-a", "alias/tw-p384-a"} {
		t.Run(key, func(t *testing.T) {
			signer, err := provider.Open(t.Context(), l.URI(key, "verify=remote"))
			if err != nil {
				t.Fatal(err)
			}
			defer signer.Close()
			pemText, err := signer.(provider.PublicKeyPEMer).PublicKeyPEM()
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "pub.pem")
			if err := os.WriteFile(path, pemText, 0o644); err != nil {
				t.Fatal(err)
			}
			public, err := provider.Open(t.Context(), "pem:pub-source=file:"+path)
			if err != nil {
				t.Fatal(err)
			}
			defer public.Close()
			stdverifytest.Agree(t, signer, public)
		})
	}
}
