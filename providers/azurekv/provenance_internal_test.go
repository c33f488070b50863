package azurekv

import (
	"testing"

	"github.com/tinywindow/tinywindow/provider"
)

// TestConcludeOrigin checks what each value of a key bundle's exportable
// attribute, reported or not, says of where the key was made and whether it
// can leave: Key Vault never says where a key was made.
func TestConcludeOrigin(t *testing.T) {
	yes, no := true, false
	for _, tc := range []struct {
		name           string
		exportable     *bool
		made, canLeave string
	}{
		{"exportable", &yes, "", provider.ExtractableYes},
		{"not exportable", &no, "", ""},
		{"not reported", nil, "", ""},
	} {
		made, canLeave := concludeOrigin(tc.exportable)
		if made != tc.made || canLeave != tc.canLeave {
			t.Errorf("%s: %q, %q; want %q, %q", tc.name, made, canLeave, tc.made, tc.canLeave)
		}
	}
}
