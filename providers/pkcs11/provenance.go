//go:build cgo && !nopkcs11

package pkcs11

import (
	"context"
	"strconv"

	"github.com/miekg/pkcs11"
	"github.com/tinywindow/tinywindow/provider"
)

// provenanceAttributes are the attributes of the key's private (or secret)
// object that say where it was made and whether it can leave the token,
// with the names PKCS#11 gives them.
var provenanceAttributes = []struct {
	name string
	typ  uint
}{
	{"CKA_LOCAL", pkcs11.CKA_LOCAL},
	{"CKA_SENSITIVE", pkcs11.CKA_SENSITIVE},
	{"CKA_ALWAYS_SENSITIVE", pkcs11.CKA_ALWAYS_SENSITIVE},
	{"CKA_EXTRACTABLE", pkcs11.CKA_EXTRACTABLE},
	{"CKA_NEVER_EXTRACTABLE", pkcs11.CKA_NEVER_EXTRACTABLE},
	{"CKA_PRIVATE", pkcs11.CKA_PRIVATE},
}

// provenance reads the provenance attributes of the key's token object (not
// of a session copy, whose attributes are the copy's) and concludes from
// them.
func (k *Key) provenance(ctx context.Context) (provider.Provenance, error) {
	var p provider.Provenance
	err := k.do(ctx, func(sh pkcs11.SessionHandle, _ *handles) error {
		loc, err := k.find(sh)
		if err != nil {
			return err
		}
		// One attribute at a time: a token that lacks one fails the
		// whole C_GetAttributeValue, and the others are still worth
		// reporting.
		values := make(map[uint][]byte, len(provenanceAttributes))
		for _, a := range provenanceAttributes {
			if v, err := k.attr(sh, loc.priv, a.typ); err == nil {
				values[a.typ] = v
			}
		}
		p = concludeProvenance(values)
		return nil
	})
	return p, err
}

// concludeProvenance names each attribute's value ("true", "false", or
// "unknown" where the token gave none) and concludes:
//   - Origin: CKA_LOCAL true means the token generated the key
//     (C_GenerateKey or C_GenerateKeyPair); false means it was imported
//     or unwrapped.
//   - Extractable: "yes" when CKA_EXTRACTABLE is true or CKA_SENSITIVE is
//     false (the value can be wrapped out or read); else "once" when
//     CKA_NEVER_EXTRACTABLE or CKA_ALWAYS_SENSITIVE is false (it could
//     leave before); else "no".
func concludeProvenance(values map[uint][]byte) provider.Provenance {
	p := provider.Provenance{Attributes: make(map[string]string, len(provenanceAttributes))}
	known := make(map[uint]bool, len(values))
	for _, a := range provenanceAttributes {
		v, ok := values[a.typ]
		if !ok || len(v) != 1 {
			p.Attributes[a.name] = "unknown"
			continue
		}
		known[a.typ] = v[0] != 0
		p.Attributes[a.name] = strconv.FormatBool(v[0] != 0)
	}
	is := func(typ uint, want bool) bool {
		v, ok := known[typ]
		return ok && v == want
	}
	if local, ok := known[pkcs11.CKA_LOCAL]; ok {
		p.Origin = provider.OriginImported
		if local {
			p.Origin = provider.OriginGenerated
		}
	}
	switch {
	case is(pkcs11.CKA_EXTRACTABLE, true) || is(pkcs11.CKA_SENSITIVE, false):
		p.Extractable = provider.ExtractableYes
	case is(pkcs11.CKA_NEVER_EXTRACTABLE, false) || is(pkcs11.CKA_ALWAYS_SENSITIVE, false):
		p.Extractable = provider.ExtractableOnce
	case is(pkcs11.CKA_EXTRACTABLE, false) && is(pkcs11.CKA_SENSITIVE, true) &&
		is(pkcs11.CKA_NEVER_EXTRACTABLE, true) && is(pkcs11.CKA_ALWAYS_SENSITIVE, true):
		p.Extractable = provider.ExtractableNo
	}
	return p
}
