package vaulttransit

import (
	"context"
	"strconv"
	"time"

	"github.com/tinywindow/tinywindow/provider"
)

// provenance reads the key, now, from the keys endpoint and keeps what
// Vault says of how it came to be and whether it can leave. Attributes:
// type, exportable, allow-plaintext-backup and imported-key ("not reported"
// where Vault gives none: Vault before 1.11 reports no imported_key),
// imported-key-allow-rotation, backup-time and restore-time where reported,
// latest-version, min-decryption-version, creation-time of the version in
// use, and rotation: "enabled" with auto-rotate-period, "disabled", or "not
// reported".
//
// Origin and Extractable follow concludeOrigin.
func (b *base) provenance(ctx context.Context) (provider.Provenance, error) {
	d, err := readKey(ctx, b.client, b.opts)
	if err != nil {
		return provider.Provenance{}, err
	}
	data := d.data
	p := provider.Provenance{Attributes: map[string]string{
		"type":                   d.typ,
		"latest-version":         strconv.Itoa(d.latest),
		"min-decryption-version": strconv.Itoa(number(data["min_decryption_version"])),
	}}
	f := keyFlags{
		imported:        flag(data, "imported_key"),
		exportable:      flag(data, "exportable"),
		plaintextBackup: flag(data, "allow_plaintext_backup"),
	}
	_, f.restored = data["restore_info"].(map[string]any)
	for name, v := range map[string]*bool{"imported-key": f.imported, "exportable": f.exportable, "allow-plaintext-backup": f.plaintextBackup} {
		p.Attributes[name] = "not reported"
		if v != nil {
			p.Attributes[name] = strconv.FormatBool(*v)
		}
	}
	if v := flag(data, "imported_key_allow_rotation"); v != nil {
		p.Attributes["imported-key-allow-rotation"] = strconv.FormatBool(*v)
	}
	for name, field := range map[string]string{"backup-time": "backup_info", "restore-time": "restore_info"} {
		if info, ok := data[field].(map[string]any); ok {
			p.Attributes[name], _ = info["time"].(string)
		}
	}
	switch period, ok := data["auto_rotate_period"]; {
	case !ok:
		p.Attributes["rotation"] = "not reported"
	case number(period) > 0:
		p.Attributes["rotation"] = "enabled"
		p.Attributes["auto-rotate-period"] = (time.Duration(number(period)) * time.Second).String()
	default:
		p.Attributes["rotation"] = "disabled"
	}
	switch v := d.versions[strconv.Itoa(b.version)].(type) {
	case map[string]any: // asymmetric keys: {creation_time: RFC 3339, …}
		if t, ok := v["creation_time"].(string); ok {
			p.Attributes["creation-time"] = t
		}
	default: // hmac keys: the creation time in Unix seconds
		if n := number(v); n > 0 {
			p.Attributes["creation-time"] = time.Unix(int64(n), 0).UTC().Format(time.RFC3339)
		}
	}
	p.Origin, p.Extractable = concludeOrigin(f)
	return p, nil
}

// flag returns the boolean field of the keys endpoint's answer, or nil
// when the answer holds none.
func flag(data map[string]any, field string) *bool {
	if v, ok := data[field].(bool); ok {
		return &v
	}
	return nil
}

// keyFlags are the facts of the keys endpoint that say where a key was made
// and whether it can leave; a nil flag is one Vault did not report.
type keyFlags struct {
	imported, exportable, plaintextBackup *bool
	restored                              bool // restore_info: brought in from a backup
}

// concludeOrigin says what the keys endpoint's flags tell of where the key
// was made and whether it can leave. A key Vault imported (imported_key) or
// restored from a backup (restore_info) was made elsewhere; imported_key
// false says Vault made it. Vault reports imports per key, not per version:
// a key with imported material is reported imported whichever version is in
// use. A key that is exportable, or allows a plaintext backup, can leave
// (neither flag can be turned off once on, so false means never on); an
// imported key that can do neither could leave before; a key Vault made that
// can do neither never could. What Vault does not report stays unknown.
func concludeOrigin(f keyFlags) (origin, extractable string) {
	isTrue := func(b *bool) bool { return b != nil && *b }
	isFalse := func(b *bool) bool { return b != nil && !*b }
	switch {
	case isTrue(f.imported) || f.restored:
		origin = provider.OriginImported
	case isFalse(f.imported):
		origin = provider.OriginGenerated
	}
	switch {
	case isTrue(f.exportable) || isTrue(f.plaintextBackup):
		extractable = provider.ExtractableYes
	case origin == provider.OriginImported:
		extractable = provider.ExtractableOnce
	case origin == provider.OriginGenerated && isFalse(f.exportable) && isFalse(f.plaintextBackup):
		extractable = provider.ExtractableNo
	}
	return origin, extractable
}
