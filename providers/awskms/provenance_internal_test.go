package awskms

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/tinywindow/tinywindow/provider"
)

// TestConcludeOrigin checks what each origin DescribeKey can give says of
// where the key was made and whether it can leave.
func TestConcludeOrigin(t *testing.T) {
	for _, tc := range []struct {
		origin         types.OriginType
		made, canLeave string
	}{
		{types.OriginTypeAwsKms, provider.OriginGenerated, provider.ExtractableNo},
		{types.OriginTypeAwsCloudhsm, provider.OriginGenerated, provider.ExtractableNo},
		{types.OriginTypeExternal, provider.OriginImported, provider.ExtractableOnce},
		{types.OriginTypeExternalKeyStore, "", ""},
		{"", "", ""},
		{"SOMETHING_NEW", "", ""},
	} {
		made, canLeave := concludeOrigin(tc.origin)
		if made != tc.made || canLeave != tc.canLeave {
			t.Errorf("origin %q: %q, %q; want %q, %q", tc.origin, made, canLeave, tc.made, tc.canLeave)
		}
	}
}
