package pkcs11

import (
	"fmt"
	"strings"
)

// moduleFacts is what C_GetInfo says of a module, padding trimmed.
type moduleFacts struct {
	Manufacturer string
	Description  string
	Version      string // "M.N"
}

// tokenFacts is what the slot list, C_GetSlotInfo and C_GetTokenInfo say of
// one slot and its token, padding trimmed.
type tokenFacts struct {
	SlotID           uint
	SlotManufacturer string
	SlotDescription  string
	Label            string
	Manufacturer     string
	Model            string
	Serial           string
}

// matchModule reports whether the module fits the URI's library-*
// constraints.
func (c *Config) matchModule(m moduleFacts) bool {
	return (c.LibraryManufacturer == "" || c.LibraryManufacturer == m.Manufacturer) &&
		(c.LibraryDescription == "" || c.LibraryDescription == m.Description) &&
		(c.LibraryVersion == "" || c.LibraryVersion == m.Version)
}

// matchToken reports whether a slot and its token fit every slot and token
// constraint of the URI.
func (c *Config) matchToken(t tokenFacts) bool {
	return (!c.HasSlotID || c.SlotID == t.SlotID) &&
		(c.SlotManufacturer == "" || c.SlotManufacturer == t.SlotManufacturer) &&
		(c.SlotDescription == "" || c.SlotDescription == t.SlotDescription) &&
		(c.TokenLabel == "" || c.TokenLabel == t.Label) &&
		(c.TokenManufacturer == "" || c.TokenManufacturer == t.Manufacturer) &&
		(c.Model == "" || c.Model == t.Model) &&
		(c.Serial == "" || c.Serial == t.Serial)
}

// String describes a module in RFC 7512 attributes, for messages.
func (m moduleFacts) String() string {
	return fmt.Sprintf("library-manufacturer=%q library-description=%q library-version=%s", m.Manufacturer, m.Description, m.Version)
}

// String describes a slot and its token in RFC 7512 attributes, for
// messages.
func (t tokenFacts) String() string {
	return fmt.Sprintf("{slot-id=%d token=%q serial=%q model=%q manufacturer=%q slot-description=%q}",
		t.SlotID, t.Label, t.Serial, t.Model, t.Manufacturer, t.SlotDescription)
}

// tokenDesc describes the URI's slot and token constraints, for messages.
func (c *Config) tokenDesc() string {
	var parts []string
	add := func(name, v string) {
		if v != "" {
			parts = append(parts, fmt.Sprintf("%s=%q", name, v))
		}
	}
	if c.HasSlotID {
		parts = append(parts, fmt.Sprintf("slot-id=%d", c.SlotID))
	}
	add("slot-manufacturer", c.SlotManufacturer)
	add("slot-description", c.SlotDescription)
	add("token", c.TokenLabel)
	add("manufacturer", c.TokenManufacturer)
	add("model", c.Model)
	add("serial", c.Serial)
	if len(parts) == 0 {
		return "the only token"
	}
	return "token with " + strings.Join(parts, " ")
}
