package gcpkms

import (
	"maps"
	"testing"
	"time"

	"cloud.google.com/go/kms/apiv1/kmspb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

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

// TestKeyAttributes checks what a CryptoKey tells of its rotation for each
// purpose, with and without a schedule, and whether it takes only imported
// versions.
func TestKeyAttributes(t *testing.T) {
	next := timestamppb.New(time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC))
	every90 := &kmspb.CryptoKey_RotationPeriod{RotationPeriod: durationpb.New(90 * 24 * time.Hour)}
	for _, tc := range []struct {
		name string
		key  *kmspb.CryptoKey
		want map[string]string
	}{
		{"signing key", &kmspb.CryptoKey{Purpose: kmspb.CryptoKey_ASYMMETRIC_SIGN},
			map[string]string{"rotation": "not supported", "import-only": "false"}},
		{"mac key, import only", &kmspb.CryptoKey{Purpose: kmspb.CryptoKey_MAC, ImportOnly: true},
			map[string]string{"rotation": "not supported", "import-only": "true"}},
		{"encryption key, no schedule", &kmspb.CryptoKey{Purpose: kmspb.CryptoKey_ENCRYPT_DECRYPT},
			map[string]string{"rotation": "disabled", "import-only": "false"}},
		{"encryption key, every 90 days", &kmspb.CryptoKey{Purpose: kmspb.CryptoKey_ENCRYPT_DECRYPT, RotationSchedule: every90, NextRotationTime: next},
			map[string]string{"rotation": "enabled", "rotation-period": "2160h0m0s", "next-rotation-time": "2027-03-01T00:00:00Z", "import-only": "false"}},
		{"external key manager connection", &kmspb.CryptoKey{Purpose: kmspb.CryptoKey_ASYMMETRIC_SIGN, CryptoKeyBackend: "projects/p/locations/l/ekmConnections/c"},
			map[string]string{"rotation": "not supported", "import-only": "false", "crypto-key-backend": "projects/p/locations/l/ekmConnections/c"}},
	} {
		got := map[string]string{}
		keyAttributes(tc.key, got)
		if !maps.Equal(got, tc.want) {
			t.Errorf("%s: %v; want %v", tc.name, got, tc.want)
		}
	}
}
