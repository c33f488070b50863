package gcpkms

import (
	"testing"

	"cloud.google.com/go/kms/apiv1/kmspb"

	"github.com/tinywindow/tinywindow/provider"
)

// TestConcludeOrigin checks what each protection level, with imported or
// generated material or neither reported, says of where the key was made
// and whether it can leave.
func TestConcludeOrigin(t *testing.T) {
	for _, tc := range []struct {
		level               kmspb.ProtectionLevel
		imported, generated bool
		made, canLeave      string
	}{
		{kmspb.ProtectionLevel_SOFTWARE, false, true, provider.OriginGenerated, provider.ExtractableNo},
		{kmspb.ProtectionLevel_HSM, false, true, provider.OriginGenerated, provider.ExtractableNo},
		{kmspb.ProtectionLevel_HSM_SINGLE_TENANT, false, true, provider.OriginGenerated, provider.ExtractableNo},
		{kmspb.ProtectionLevel_SOFTWARE, true, false, provider.OriginImported, provider.ExtractableOnce},
		{kmspb.ProtectionLevel_HSM, true, false, provider.OriginImported, provider.ExtractableOnce},
		{kmspb.ProtectionLevel_HSM, true, true, provider.OriginImported, provider.ExtractableOnce},
		{kmspb.ProtectionLevel_HSM, false, false, "", ""},
		{kmspb.ProtectionLevel_EXTERNAL, false, true, "", ""},
		{kmspb.ProtectionLevel_EXTERNAL, true, false, "", ""},
		{kmspb.ProtectionLevel_EXTERNAL_VPC, false, true, "", ""},
		{kmspb.ProtectionLevel_PROTECTION_LEVEL_UNSPECIFIED, false, true, "", ""},
		{kmspb.ProtectionLevel(99), false, true, "", ""},
	} {
		made, canLeave := concludeOrigin(tc.level, tc.imported, tc.generated)
		if made != tc.made || canLeave != tc.canLeave {
			t.Errorf("%s, imported %v, generated %v: %q, %q; want %q, %q", tc.level, tc.imported, tc.generated, made, canLeave, tc.made, tc.canLeave)
		}
	}
}
