//go:build cgo && !nopkcs11

package pkcs11

import (
	"strings"
	"testing"

	"github.com/miekg/pkcs11"
	"github.com/tinywindow/tinywindow/conformance"
	"github.com/tinywindow/tinywindow/internal/testenv"
	"github.com/tinywindow/tinywindow/provider"
)

// TestKeyProvenance checks that a conformance report of a key in SoftHSM2
// gives the key object's provenance attributes as the token reports them, and
// the conclusions and findings that follow: a key pair generated in the token
// (sensitive, never extractable) has none; an HMAC key imported with
// C_CreateObject is imported; a key created extractable and not sensitive
// can leave.
func TestKeyProvenance(t *testing.T) {
	needKeys(t)
	k := testenv.MustOpen(t, keyURI("hmac"))
	ik := inner(t, k)
	sh, err := ik.mod.ctx.OpenSession(ik.slot, pkcs11.CKF_SERIAL_SESSION|pkcs11.CKF_RW_SESSION)
	if err != nil {
		t.Fatal(err)
	}
	defer ik.mod.ctx.CloseSession(sh)
	obj, err := ik.mod.ctx.CreateObject(sh, []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY),
		pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_GENERIC_SECRET),
		pkcs11.NewAttribute(pkcs11.CKA_TOKEN, true),
		pkcs11.NewAttribute(pkcs11.CKA_PRIVATE, true),
		pkcs11.NewAttribute(pkcs11.CKA_SIGN, true),
		pkcs11.NewAttribute(pkcs11.CKA_VERIFY, true),
		pkcs11.NewAttribute(pkcs11.CKA_SENSITIVE, false),
		pkcs11.NewAttribute(pkcs11.CKA_EXTRACTABLE, true),
		pkcs11.NewAttribute(pkcs11.CKA_LABEL, "hmac-extractable"),
		pkcs11.NewAttribute(pkcs11.CKA_VALUE, make([]byte, 32)),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer ik.mod.ctx.DestroyObject(sh, obj) // the token outlives the test: -count=N

	for _, tc := range []struct {
		object      string
		origin      string
		extractable string
		attrs       map[string]string
		findings    []string
	}{
		{"p256", provider.OriginGenerated, provider.ExtractableNo,
			map[string]string{"CKA_LOCAL": "true", "CKA_SENSITIVE": "true", "CKA_ALWAYS_SENSITIVE": "true", "CKA_EXTRACTABLE": "false", "CKA_NEVER_EXTRACTABLE": "true", "CKA_PRIVATE": "true"},
			nil},
		{"ed25519", provider.OriginGenerated, provider.ExtractableNo,
			map[string]string{"CKA_LOCAL": "true", "CKA_EXTRACTABLE": "false", "CKA_NEVER_EXTRACTABLE": "true"},
			nil},
		{"hmac-mvp42", provider.OriginImported, provider.ExtractableOnce,
			map[string]string{"CKA_LOCAL": "false", "CKA_SENSITIVE": "true", "CKA_ALWAYS_SENSITIVE": "false", "CKA_EXTRACTABLE": "false", "CKA_NEVER_EXTRACTABLE": "false"},
			[]string{"could be extracted before", "imported"}},
		{"hmac-extractable", provider.OriginImported, provider.ExtractableYes,
			map[string]string{"CKA_LOCAL": "false", "CKA_SENSITIVE": "false", "CKA_EXTRACTABLE": "true"},
			[]string{"can be extracted", "imported"}},
	} {
		t.Run(tc.object, func(t *testing.T) {
			uri := keyURI(tc.object)
			rep, err := conformance.Run(t.Context(), conformance.Subject{URI: uri, Open: conformance.OpenURI(uri), Goroutines: 1, OpsPerGoroutine: 1})
			if err != nil {
				t.Fatal(err)
			}
			p := rep.KeyProvenance
			if rep.IdentityError != "" || p.Origin != tc.origin || p.Extractable != tc.extractable {
				t.Errorf("provenance %+v (identity error %q); want origin %s, extractable %s", p, rep.IdentityError, tc.origin, tc.extractable)
			}
			for name, want := range tc.attrs {
				if p.Attributes[name] != want {
					t.Errorf("%s = %q, want %q", name, p.Attributes[name], want)
				}
			}
			if len(p.Attributes) != len(provenanceAttributes) {
				t.Errorf("attributes %v, want all %d", p.Attributes, len(provenanceAttributes))
			}
			var provFindings []string
			for _, f := range rep.Findings {
				if strings.Contains(f.Finding, "extracted") || strings.Contains(f.Finding, "imported") {
					provFindings = append(provFindings, f.Finding)
				}
			}
			if len(provFindings) != len(tc.findings) {
				t.Fatalf("provenance findings %q, want ones about %q", provFindings, tc.findings)
			}
			for i, want := range tc.findings {
				if !strings.Contains(provFindings[i], want) {
					t.Errorf("finding %q, want one about %q", provFindings[i], want)
				}
			}
		})
	}
}

// TestConcludeProvenance checks the conclusions drawn from each combination
// of provenance attributes, including a token that reports none.
func TestConcludeProvenance(t *testing.T) {
	b := func(v bool) []byte {
		if v {
			return []byte{1}
		}
		return []byte{0}
	}
	all := func(local, sensitive, alwaysSensitive, extractable, neverExtractable bool) map[uint][]byte {
		return map[uint][]byte{
			pkcs11.CKA_LOCAL: b(local), pkcs11.CKA_SENSITIVE: b(sensitive), pkcs11.CKA_ALWAYS_SENSITIVE: b(alwaysSensitive),
			pkcs11.CKA_EXTRACTABLE: b(extractable), pkcs11.CKA_NEVER_EXTRACTABLE: b(neverExtractable), pkcs11.CKA_PRIVATE: b(true),
		}
	}
	for _, tc := range []struct {
		name                string
		values              map[uint][]byte
		origin, extractable string
	}{
		{"generated, never out", all(true, true, true, false, true), provider.OriginGenerated, provider.ExtractableNo},
		{"generated, extractable", all(true, true, true, true, false), provider.OriginGenerated, provider.ExtractableYes},
		{"generated, not sensitive", all(true, false, false, false, true), provider.OriginGenerated, provider.ExtractableYes},
		{"made unextractable later", all(true, true, true, false, false), provider.OriginGenerated, provider.ExtractableOnce},
		{"made sensitive later", all(true, true, false, false, true), provider.OriginGenerated, provider.ExtractableOnce},
		{"imported", all(false, true, false, false, false), provider.OriginImported, provider.ExtractableOnce},
		{"nothing reported", map[uint][]byte{}, "", ""},
		{"malformed values", map[uint][]byte{pkcs11.CKA_LOCAL: {1, 0}, pkcs11.CKA_EXTRACTABLE: nil}, "", ""},
		{"only some reported", map[uint][]byte{pkcs11.CKA_LOCAL: b(true), pkcs11.CKA_EXTRACTABLE: b(false)}, provider.OriginGenerated, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := concludeProvenance(tc.values)
			if p.Origin != tc.origin || p.Extractable != tc.extractable {
				t.Errorf("origin %q, extractable %q; want %q, %q", p.Origin, p.Extractable, tc.origin, tc.extractable)
			}
			for _, a := range provenanceAttributes {
				if _, ok := tc.values[a.typ]; !ok && p.Attributes[a.name] != "unknown" {
					t.Errorf("%s not reported, yet given as %q", a.name, p.Attributes[a.name])
				}
			}
		})
	}
}
