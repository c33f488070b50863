//go:build cgo && !nopkcs11

package pkcs11

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"

	"github.com/miekg/pkcs11"
	"github.com/tinywindow/tinywindow/provider"
)

// Identity describes the key for an audit report, with the RFC 7512 names
// where there is one: the module (module-path; library-manufacturer,
// library-description, library-version and cryptoki-version from C_GetInfo),
// the slot (slot-id; slot-description, slot-manufacturer from C_GetSlotInfo),
// the token (token, manufacturer, model, serial, firmware-version,
// hardware-version from C_GetTokenInfo) and the key (object, id). Verify mode
// is "hsm" for HMAC keys and with verify=hsm, else "local". Its Provenance
// gives the key object's CKA_LOCAL, CKA_SENSITIVE, CKA_ALWAYS_SENSITIVE,
// CKA_EXTRACTABLE, CKA_NEVER_EXTRACTABLE and CKA_PRIVATE, read from the token
// object, and what follows from them (see [provider.Provenance]).
func (k *Key) Identity(ctx context.Context) (provider.Identity, error) {
	if err := k.check(ctx); err != nil {
		return provider.Identity{}, err
	}
	mode := "local"
	if k.cfg.VerifyInHSM || k.info.Algorithm.Symmetric() {
		mode = "hsm"
	}
	a := map[string]string{
		"module-path": k.cfg.ModulePath,
		"slot-id":     strconv.FormatUint(uint64(k.slot), 10),
	}
	if k.cfg.Object != "" {
		a["object"] = k.cfg.Object
	}
	if k.cfg.ID != nil {
		a["id"] = hex.EncodeToString(k.cfg.ID)
	}
	var errs []error
	if info, err := k.mod.ctx.GetInfo(); err != nil {
		errs = append(errs, opError("C_GetInfo", k.name, err))
	} else {
		a["library-manufacturer"] = trimPadded(info.ManufacturerID)
		a["library-description"] = trimPadded(info.LibraryDescription)
		a["library-version"] = version(info.LibraryVersion)
		a["cryptoki-version"] = version(info.CryptokiVersion)
	}
	if si, err := k.mod.ctx.GetSlotInfo(k.slot); err != nil {
		errs = append(errs, opError("C_GetSlotInfo", k.name, err))
	} else {
		a["slot-description"] = trimPadded(si.SlotDescription)
		a["slot-manufacturer"] = trimPadded(si.ManufacturerID)
	}
	if ti, err := k.mod.ctx.GetTokenInfo(k.slot); err != nil {
		errs = append(errs, opError("C_GetTokenInfo", k.name, err))
	} else {
		a["token"] = trimPadded(ti.Label)
		a["manufacturer"] = trimPadded(ti.ManufacturerID)
		a["model"] = trimPadded(ti.Model)
		a["serial"] = trimPadded(ti.SerialNumber)
		a["firmware-version"] = version(ti.FirmwareVersion)
		a["hardware-version"] = version(ti.HardwareVersion)
	}
	prov, err := k.provenance(ctx)
	if err != nil {
		errs = append(errs, fmt.Errorf("reading the key's provenance attributes: %w", err))
	}
	return provider.Identity{VerifyMode: mode, Attributes: a, Provenance: prov}, errors.Join(errs...)
}

func version(v pkcs11.Version) string { return fmt.Sprintf("%d.%d", v.Major, v.Minor) }

var _ provider.Identifier = (*Key)(nil)
