//go:build cgo && !nopkcs11

package pkcs11

import (
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/miekg/pkcs11"
	"github.com/tinywindow/tinywindow/provider"
)

// find looks up the private or secret key object the URI names, and its
// public key object if any.
func (k *Key) find(sh pkcs11.SessionHandle) (*located, error) {
	var all []pkcs11.ObjectHandle
	for _, class := range k.keyClasses() {
		objs, err := k.findObjects(sh, class)
		if err != nil {
			return nil, err
		}
		all = append(all, objs...)
	}
	switch {
	case len(all) == 0:
		hint := ""
		if k.pin == nil {
			hint = "; no pin-source was given, and private objects are invisible without login"
		}
		if pubs, _ := k.findObjects(sh, pkcs11.CKO_PUBLIC_KEY); len(pubs) > 0 {
			hint += "; only a public key matches, which cannot sign"
		}
		return nil, fmt.Errorf("%w: pkcs11: no private or secret key with %s in %s%s; the token has %s", provider.ErrKeyNotFound, k.cfg.keyDesc(), k.cfg.tokenDesc(), hint, k.listKeys(sh, nil))
	case len(all) > 1:
		return nil, fmt.Errorf("%w: pkcs11: %d keys match %s in %s: %s; add id=... (CKA_ID), object= or type= to pick one", provider.ErrInvalidConfig, len(all), k.cfg.keyDesc(), k.cfg.tokenDesc(), k.listKeys(sh, all))
	}
	loc := &located{priv: all[0]}
	kt, err := k.attr(sh, loc.priv, pkcs11.CKA_KEY_TYPE)
	if err != nil || len(kt) == 0 {
		return nil, provider.OpErrorf(Scheme, "C_GetAttributeValue", k.name, provider.ErrUnavailable, "CKA_KEY_TYPE: %w", err)
	}
	loc.keyType = ulong(kt)
	loc.canSign = k.boolAttr(sh, loc.priv, pkcs11.CKA_SIGN)
	loc.alwaysAuth = k.boolAttr(sh, loc.priv, pkcs11.CKA_ALWAYS_AUTHENTICATE)
	switch loc.keyType {
	case pkcs11.CKK_GENERIC_SECRET, pkcs11.CKK_SHA256_HMAC:
		loc.canVerify = k.boolAttr(sh, loc.priv, pkcs11.CKA_VERIFY)
		if v, err := k.attr(sh, loc.priv, pkcs11.CKA_VALUE_LEN); err == nil && len(v) > 0 {
			loc.valueLen = int(ulong(v))
		}
	case pkcs11.CKK_EC, ckkECEdwards, pkcs11.CKK_RSA:
		pubs, err := k.findObjects(sh, pkcs11.CKO_PUBLIC_KEY)
		if err != nil {
			return nil, err
		}
		if len(pubs) == 1 {
			loc.pub = pubs[0]
		}
		loc.ecParams, _ = k.attr(sh, loc.priv, pkcs11.CKA_EC_PARAMS)
		if loc.keyType == pkcs11.CKK_RSA {
			loc.modulus, _ = k.attr(sh, loc.priv, pkcs11.CKA_MODULUS)
			loc.exponent, _ = k.attr(sh, loc.priv, pkcs11.CKA_PUBLIC_EXPONENT)
		}
		if loc.pub != 0 {
			if loc.keyType == pkcs11.CKK_RSA && (len(loc.modulus) == 0 || len(loc.exponent) == 0) {
				loc.modulus, _ = k.attr(sh, loc.pub, pkcs11.CKA_MODULUS)
				loc.exponent, _ = k.attr(sh, loc.pub, pkcs11.CKA_PUBLIC_EXPONENT)
			}
			if loc.keyType != pkcs11.CKK_RSA {
				loc.ecPoint, _ = k.attr(sh, loc.pub, pkcs11.CKA_EC_POINT)
				if len(loc.ecParams) == 0 {
					loc.ecParams, _ = k.attr(sh, loc.pub, pkcs11.CKA_EC_PARAMS)
				}
			}
		}
	}
	return loc, nil
}

// keyClasses returns the object classes the URI's type= allows: a private
// or a secret key.
func (k *Key) keyClasses() []uint {
	switch k.cfg.Type {
	case "private":
		return []uint{pkcs11.CKO_PRIVATE_KEY}
	case "secret-key":
		return []uint{pkcs11.CKO_SECRET_KEY}
	}
	return []uint{pkcs11.CKO_PRIVATE_KEY, pkcs11.CKO_SECRET_KEY}
}

// findObjects returns the token objects of class that match the URI's object
// and id.
func (k *Key) findObjects(sh pkcs11.SessionHandle, class uint) ([]pkcs11.ObjectHandle, error) {
	tmpl := []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_CLASS, class)}
	if k.cfg.Object != "" {
		tmpl = append(tmpl, pkcs11.NewAttribute(pkcs11.CKA_LABEL, k.cfg.Object))
	}
	if k.cfg.ID != nil {
		tmpl = append(tmpl, pkcs11.NewAttribute(pkcs11.CKA_ID, k.cfg.ID))
	}
	return k.search(sh, tmpl)
}

// maxListed bounds the objects an error message lists.
const maxListed = 16

func (k *Key) search(sh pkcs11.SessionHandle, tmpl []*pkcs11.Attribute) ([]pkcs11.ObjectHandle, error) {
	tmpl = append(tmpl, pkcs11.NewAttribute(pkcs11.CKA_TOKEN, true))
	ctx := k.mod.ctx
	if err := ctx.FindObjectsInit(sh, tmpl); err != nil {
		return nil, opError("C_FindObjectsInit", k.name, err)
	}
	objs, _, err := ctx.FindObjects(sh, maxListed)
	ferr := ctx.FindObjectsFinal(sh)
	if err != nil {
		return nil, opError("C_FindObjects", k.name, err)
	}
	if ferr != nil {
		return nil, opError("C_FindObjectsFinal", k.name, ferr)
	}
	return objs, nil
}

// listKeys describes objs, or when objs is nil every private and secret key
// of the token that the session can see, in RFC 7512 attributes, for error
// messages.
func (k *Key) listKeys(sh pkcs11.SessionHandle, objs []pkcs11.ObjectHandle) string {
	if objs == nil {
		for _, class := range []uint{pkcs11.CKO_PRIVATE_KEY, pkcs11.CKO_SECRET_KEY} {
			found, err := k.search(sh, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_CLASS, class)})
			if err != nil {
				return "keys that could not be listed (" + err.Error() + ")"
			}
			objs = append(objs, found...)
		}
	}
	if len(objs) == 0 {
		return "no private or secret key visible to this session"
	}
	var out []string
	for i, o := range objs {
		if i == maxListed {
			out = append(out, "...")
			break
		}
		label, _ := k.attr(sh, o, pkcs11.CKA_LABEL)
		id, _ := k.attr(sh, o, pkcs11.CKA_ID)
		typ := "private"
		if c, _ := k.attr(sh, o, pkcs11.CKA_CLASS); ulong(c) == pkcs11.CKO_SECRET_KEY {
			typ = "secret-key"
		}
		out = append(out, fmt.Sprintf("{object=%q id=%s type=%s}", label, percentEncode(id), typ))
	}
	return strings.Join(out, ", ")
}

// percentEncode writes bytes as RFC 7512 writes an id: %XX for every byte.
func percentEncode(b []byte) string {
	var sb strings.Builder
	for _, c := range b {
		fmt.Fprintf(&sb, "%%%02X", c)
	}
	return sb.String()
}

func (k *Key) attr(sh pkcs11.SessionHandle, obj pkcs11.ObjectHandle, typ uint) ([]byte, error) {
	attrs, err := k.mod.ctx.GetAttributeValue(sh, obj, []*pkcs11.Attribute{pkcs11.NewAttribute(typ, nil)})
	if err != nil {
		return nil, err
	}
	if len(attrs) != 1 {
		return nil, fmt.Errorf("C_GetAttributeValue returned %d attributes", len(attrs))
	}
	return attrs[0].Value, nil
}

func (k *Key) boolAttr(sh pkcs11.SessionHandle, obj pkcs11.ObjectHandle, typ uint) bool {
	v, err := k.attr(sh, obj, typ)
	return err == nil && len(v) == 1 && v[0] != 0
}

// ulong decodes a CK_ULONG attribute value, in the host's byte order.
func ulong(b []byte) uint {
	switch len(b) {
	case 8:
		return uint(binary.NativeEndian.Uint64(b))
	case 4:
		return uint(binary.NativeEndian.Uint32(b))
	}
	return ^uint(0)
}

// keyDesc describes the URI's object constraints, for messages.
func (c *Config) keyDesc() string {
	var parts []string
	if c.Object != "" {
		parts = append(parts, fmt.Sprintf("object %q", c.Object))
	}
	if c.ID != nil {
		parts = append(parts, fmt.Sprintf("id %x", c.ID))
	}
	if c.Type != "" {
		parts = append(parts, "type "+c.Type)
	}
	return strings.Join(parts, " ")
}

// keyName names the key as the URI does, for the Key of an error:
// `object "orders" in token with token="prod"`.
func (c *Config) keyName() string {
	return c.keyDesc() + " in " + c.tokenDesc()
}
