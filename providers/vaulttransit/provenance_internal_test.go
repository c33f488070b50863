package vaulttransit

import (
	"testing"

	"github.com/tinywindow/tinywindow/provider"
)

// TestConcludeOrigin checks what each combination of the keys endpoint's
// flags, reported or not, says of where the key was made and whether it can
// leave.
func TestConcludeOrigin(t *testing.T) {
	yes, no := new(bool), new(bool)
	*yes = true
	for _, tc := range []struct {
		name           string
		flags          keyFlags
		made, canLeave string
	}{
		{"made in vault, kept", keyFlags{imported: no, exportable: no, plaintextBackup: no}, provider.OriginGenerated, provider.ExtractableNo},
		{"made in vault, exportable", keyFlags{imported: no, exportable: yes, plaintextBackup: no}, provider.OriginGenerated, provider.ExtractableYes},
		{"made in vault, plaintext backup", keyFlags{imported: no, exportable: no, plaintextBackup: yes}, provider.OriginGenerated, provider.ExtractableYes},
		{"imported, kept", keyFlags{imported: yes, exportable: no, plaintextBackup: no}, provider.OriginImported, provider.ExtractableOnce},
		{"imported, exportable", keyFlags{imported: yes, exportable: yes, plaintextBackup: no}, provider.OriginImported, provider.ExtractableYes},
		{"restored from a backup", keyFlags{imported: no, exportable: no, plaintextBackup: no, restored: true}, provider.OriginImported, provider.ExtractableOnce},
		{"restored, backup allowed", keyFlags{imported: no, exportable: no, plaintextBackup: yes, restored: true}, provider.OriginImported, provider.ExtractableYes},
		{"import not reported", keyFlags{exportable: no, plaintextBackup: no}, "", ""},
		{"import not reported, exportable", keyFlags{exportable: yes, plaintextBackup: no}, "", provider.ExtractableYes},
		{"made in vault, export not reported", keyFlags{imported: no, plaintextBackup: no}, provider.OriginGenerated, ""},
		{"made in vault, backup not reported", keyFlags{imported: no, exportable: no}, provider.OriginGenerated, ""},
		{"nothing reported", keyFlags{}, "", ""},
	} {
		made, canLeave := concludeOrigin(tc.flags)
		if made != tc.made || canLeave != tc.canLeave {
			t.Errorf("%s: %q, %q; want %q, %q", tc.name, made, canLeave, tc.made, tc.canLeave)
		}
	}
}
