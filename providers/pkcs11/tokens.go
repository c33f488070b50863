//go:build cgo && !nopkcs11

package pkcs11

import (
	"fmt"
	"strings"

	"github.com/miekg/pkcs11"
	"github.com/tinywindow/tinywindow/provider"
)

// findSlot checks the module against the URI's library-* attributes and
// returns the one slot whose token matches every slot and token attribute of
// the URI. No match, or more than one, is an error that lists the tokens the
// module has.
func (m *module) findSlot(c *Config) (uint, pkcs11.TokenInfo, error) {
	info, err := m.ctx.GetInfo()
	if err != nil {
		return 0, pkcs11.TokenInfo{}, opError("C_GetInfo", c.keyName(), err)
	}
	mf := moduleFacts{
		Manufacturer: trimPadded(info.ManufacturerID),
		Description:  trimPadded(info.LibraryDescription),
		Version:      version(info.LibraryVersion),
	}
	if !c.matchModule(mf) {
		return 0, pkcs11.TokenInfo{}, fmt.Errorf("%w: pkcs11: module %s is %s, which does not match the URI's library-manufacturer, library-description or library-version", provider.ErrKeyNotFound, m.path, mf)
	}
	slots, err := m.ctx.GetSlotList(true)
	if err != nil {
		return 0, pkcs11.TokenInfo{}, opError("C_GetSlotList", c.keyName(), err)
	}
	var all, matched []string
	var slot uint
	var tinfo pkcs11.TokenInfo
	for _, s := range slots {
		ti, err := m.ctx.GetTokenInfo(s)
		if err != nil || ti.Flags&pkcs11.CKF_TOKEN_INITIALIZED == 0 {
			continue // no usable token: none to match or list
		}
		f := tokenFacts{
			SlotID:       s,
			Label:        trimPadded(ti.Label),
			Manufacturer: trimPadded(ti.ManufacturerID),
			Model:        trimPadded(ti.Model),
			Serial:       trimPadded(ti.SerialNumber),
		}
		if si, err := m.ctx.GetSlotInfo(s); err == nil {
			f.SlotManufacturer = trimPadded(si.ManufacturerID)
			f.SlotDescription = trimPadded(si.SlotDescription)
		}
		all = append(all, f.String())
		if c.matchToken(f) {
			matched = append(matched, f.String())
			slot, tinfo = s, ti
		}
	}
	switch len(matched) {
	case 1:
		return slot, tinfo, nil
	case 0:
		present := "no initialised token"
		if len(all) > 0 {
			present = "the tokens " + strings.Join(all, ", ")
		}
		return 0, pkcs11.TokenInfo{}, fmt.Errorf("%w: pkcs11: no %s in module %s; it has %s", provider.ErrKeyNotFound, c.tokenDesc(), m.path, present)
	default:
		return 0, pkcs11.TokenInfo{}, fmt.Errorf("%w: pkcs11: %d tokens match (%s) in module %s: %s; add token=, serial= or slot-id= to pick one",
			provider.ErrInvalidConfig, len(matched), c.tokenDesc(), m.path, strings.Join(matched, ", "))
	}
}

// trimPadded trims the blank (or NUL) padding of a PKCS#11 info string.
func trimPadded(s string) string { return strings.TrimRight(s, " \x00") }
