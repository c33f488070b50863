package pkcs11

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/tinywindow/tinywindow/provider"
)

func TestParseConfig(t *testing.T) {
	const mod = "?module-path=/usr/lib/softhsm/libsofthsm2.so"
	for _, tc := range []struct {
		name, uri string
		want      error  // nil: valid
		msg       string // part of the error message
		check     func(*Config) bool
	}{
		{"token and object", "pkcs11:token=t;object=o" + mod, nil, "", func(c *Config) bool {
			return c.TokenLabel == "t" && c.Object == "o" && c.ID == nil && c.MaxSessions == DefaultMaxSessions && c.SessionKeys && !c.VerifyInHSM
		}},
		{"serial and percent-encoded id", "pkcs11:serial=abc;id=%01%FF" + mod, nil, "", func(c *Config) bool {
			return c.Serial == "abc" && bytes.Equal(c.ID, []byte{1, 0xff}) && c.Object == ""
		}},
		{"slot-id and options", "pkcs11:slot-id=7;object=o" + mod + "&pin-source=file:/etc/pin&max-sessions=4&verify=hsm&session-keys=off&alg=Ed25519", nil, "", func(c *Config) bool {
			return c.HasSlotID && c.SlotID == 7 && c.PINSource == "file:/etc/pin" && c.MaxSessions == 4 && c.VerifyInHSM && !c.SessionKeys && c.Algorithm == provider.Ed25519
		}},
		{"verify=remote, the word every backend shares", "pkcs11:token=t;object=o" + mod + "&verify=remote", nil, "", func(c *Config) bool {
			return c.VerifyInHSM
		}},
		{"verify=local", "pkcs11:token=t;object=o" + mod + "&verify=local", nil, "", func(c *Config) bool {
			return !c.VerifyInHSM
		}},
		{"token, serial and slot-id together", "pkcs11:token=t;serial=s;slot-id=1;object=o" + mod, nil, "", func(c *Config) bool {
			return c.TokenLabel == "t" && c.Serial == "s" && c.HasSlotID && c.SlotID == 1
		}},
		{"no token attribute: any token", "pkcs11:object=o" + mod, nil, "", func(c *Config) bool {
			return c.TokenLabel == "" && c.Serial == "" && !c.HasSlotID && c.tokenDesc() == "the only token"
		}},
		{"every RFC 7512 attribute", "pkcs11:library-manufacturer=SoftHSM;library-description=Implementation%20of%20PKCS11;library-version=2;" +
			"slot-manufacturer=SoftHSM%20project;slot-description=SoftHSM%20slot%20ID%200x1;slot-id=1;" +
			"token=t;manufacturer=SoftHSM%20project;model=SoftHSM%20v2;serial=abc;object=o;id=%01;type=private" +
			"?module-name=softhsm2&module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=env:P", nil, "", func(c *Config) bool {
			return c.LibraryManufacturer == "SoftHSM" && c.LibraryDescription == "Implementation of PKCS11" && c.LibraryVersion == "2.0" &&
				c.SlotManufacturer == "SoftHSM project" && c.SlotDescription == "SoftHSM slot ID 0x1" && c.HasSlotID && c.SlotID == 1 &&
				c.TokenLabel == "t" && c.TokenManufacturer == "SoftHSM project" && c.Model == "SoftHSM v2" && c.Serial == "abc" &&
				c.Object == "o" && bytes.Equal(c.ID, []byte{1}) && c.Type == "private" && c.ModuleName == "softhsm2" && c.PINSource == "env:P"
		}},
		{"library-version M.N", "pkcs11:token=t;object=o;library-version=02.06" + mod, nil, "", func(c *Config) bool { return c.LibraryVersion == "2.6" }},
		{"type=secret-key", "pkcs11:token=t;object=o;type=secret-key" + mod, nil, "", func(c *Config) bool { return c.Type == "secret-key" }},
		{"type=public", "pkcs11:token=t;object=o;type=public" + mod, provider.ErrUnsupported, "cannot sign", nil},
		{"type=cert", "pkcs11:token=t;object=o;type=cert" + mod, provider.ErrUnsupported, "cannot sign", nil},
		{"type=data", "pkcs11:token=t;object=o;type=data" + mod, provider.ErrUnsupported, "cannot sign", nil},
		{"type=secret (not RFC 7512)", "pkcs11:token=t;object=o;type=secret" + mod, provider.ErrInvalidConfig, "secret-key", nil},
		{"type=private with an HMAC alg", "pkcs11:token=t;object=o;type=private" + mod + "&alg=HMAC-SHA256", provider.ErrInvalidConfig, "does not fit", nil},
		{"bad library-version", "pkcs11:token=t;object=o;library-version=2.x" + mod, provider.ErrInvalidConfig, "M.N", nil},
		{"library-version over 255", "pkcs11:token=t;object=o;library-version=256" + mod, provider.ErrInvalidConfig, "M.N", nil},
		{"library-version with a sign", "pkcs11:token=t;object=o;library-version=+2" + mod, provider.ErrInvalidConfig, "M.N", nil},
		{"empty model", "pkcs11:token=t;object=o;model=" + mod, provider.ErrInvalidConfig, "model is empty", nil},
		{"module-name not the module-path's", "pkcs11:token=t;object=o" + mod + "&module-name=opensc-pkcs11", provider.ErrInvalidConfig, `module "softhsm2"`, nil},
		{"no key", "pkcs11:token=t" + mod, provider.ErrInvalidConfig, "names no key", nil},
		{"empty object", "pkcs11:token=t;object=" + mod, provider.ErrInvalidConfig, "object is empty", nil},
		{"pin-value refused", "pkcs11:token=t;object=o" + mod + "&pin-value=1234", provider.ErrInvalidConfig, "pin-source", nil},
		{"max-sessions=0", "pkcs11:token=t;object=o" + mod + "&max-sessions=0", provider.ErrInvalidConfig, "from 1 to", nil},
		{"max-sessions negative", "pkcs11:token=t;object=o" + mod + "&max-sessions=-3", provider.ErrInvalidConfig, "from 1 to", nil},
		{"max-sessions too large", "pkcs11:token=t;object=o" + mod + "&max-sessions=5000", provider.ErrInvalidConfig, "from 1 to", nil},
		{"max-sessions not a number", "pkcs11:token=t;object=o" + mod + "&max-sessions=many", provider.ErrInvalidConfig, "from 1 to", nil},
		{"slot-id not a number", "pkcs11:slot-id=x;object=o" + mod, provider.ErrInvalidConfig, "decimal", nil},
		{"no module-path", "pkcs11:token=t;object=o", provider.ErrInvalidConfig, "module-path", nil},
		{"relative module-path", "pkcs11:token=t;object=o?module-path=libsofthsm2.so", provider.ErrInvalidConfig, "absolute", nil},
		{"bad pin-source", "pkcs11:token=t;object=o" + mod + "&pin-source=1234", provider.ErrInvalidConfig, "neither env:NAME", nil},
		{"unknown attribute", "pkcs11:token=t;object=o;colour=red" + mod, provider.ErrInvalidConfig, "unknown attribute", nil},
		{"unknown algorithm", "pkcs11:token=t;object=o" + mod + "&alg=DSA", provider.ErrUnsupported, "unknown algorithm", nil},
		{"algorithm not offered", "pkcs11:token=t;object=o" + mod + "&alg=ML-DSA-65", provider.ErrUnsupported, "not offered", nil},
		{"bad verify", "pkcs11:token=t;object=o" + mod + "&verify=maybe", provider.ErrInvalidConfig, "verify=local", nil},
		{"bad session-keys", "pkcs11:token=t;object=o" + mod + "&session-keys=on", provider.ErrInvalidConfig, "session-keys=auto", nil},
		{"other scheme", "hmac:token=t;object=o" + mod, provider.ErrInvalidConfig, "scheme", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u, err := provider.ParseURI(tc.uri)
			if err != nil {
				t.Fatalf("ParseURI: %v", err)
			}
			c, err := ParseConfig(u)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("ParseConfig: %v", err)
				}
				if !tc.check(c) {
					t.Fatalf("ParseConfig gave %+v", c)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("ParseConfig: %v, want an error matching %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("ParseConfig: %q does not say %q", err, tc.msg)
			}
			if strings.Contains(err.Error(), "1234") {
				t.Fatalf("error message repeats the PIN: %v", err)
			}
		})
	}
}

func TestModuleName(t *testing.T) {
	for path, want := range map[string]string{
		"/usr/lib/softhsm/libsofthsm2.so":            "softhsm2",
		"/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so": "opensc-pkcs11",
		"/opt/hsm/libCryptoki2_64.so.1.2":            "Cryptoki2_64",
		"/Library/lib/libykcs11.dylib":               "ykcs11",
		"/c/cryptoki.dll":                            "cryptoki",
		"/opt/x/libso.sos.so":                        "so.sos",
	} {
		if got := moduleName(path); got != want {
			t.Errorf("moduleName(%s) = %q, want %q", path, got, want)
		}
	}
}

// TestMatchToken checks each slot and token attribute as a constraint: a
// token matches when every attribute given agrees with it.
func TestMatchToken(t *testing.T) {
	tok := tokenFacts{SlotID: 7, SlotManufacturer: "SoftHSM project", SlotDescription: "SoftHSM slot ID 0x7",
		Label: "prod", Manufacturer: "SoftHSM project", Model: "SoftHSM v2", Serial: "abc"}
	mod := moduleFacts{Manufacturer: "SoftHSM", Description: "Implementation of PKCS11", Version: "2.6"}
	for _, tc := range []struct {
		attrs string
		want  bool
	}{
		{"", true},
		{"token=prod;serial=abc;slot-id=7", true},
		{"token=prod;serial=xyz", false},
		{"token=prod;slot-id=8", false},
		{"model=SoftHSM%20v2;manufacturer=SoftHSM%20project", true},
		{"model=SoftHSM%20v3", false},
		{"manufacturer=Thales", false},
		{"slot-description=SoftHSM%20slot%20ID%200x7;slot-manufacturer=SoftHSM%20project", true},
		{"slot-description=other", false},
		{"slot-manufacturer=other", false},
		{"library-manufacturer=SoftHSM;library-description=Implementation%20of%20PKCS11;library-version=2.6", true},
		{"library-manufacturer=OpenSC", false},
		{"library-description=x", false},
		{"library-version=2", false},
	} {
		u, err := provider.ParseURI("pkcs11:object=o;" + tc.attrs + "?module-path=/m.so")
		if tc.attrs == "" {
			u, err = provider.ParseURI("pkcs11:object=o?module-path=/m.so")
		}
		if err != nil {
			t.Fatal(err)
		}
		c, err := ParseConfig(u)
		if err != nil {
			t.Fatalf("%s: %v", tc.attrs, err)
		}
		if got := c.matchToken(tok) && c.matchModule(mod); got != tc.want {
			t.Errorf("%s: match = %v, want %v", tc.attrs, got, tc.want)
		}
	}
}

func FuzzParseConfig(f *testing.F) {
	f.Add("pkcs11:token=t;object=o?module-path=/m.so&pin-source=env:P&max-sessions=4")
	f.Add("pkcs11:slot-id=1;id=%00?module-path=/m.so")
	f.Add("pkcs11:serial=1;token=2;object=o?module-path=/x&pin-value=1")
	f.Fuzz(func(t *testing.T, s string) {
		u, err := provider.ParseURI(s)
		if err != nil {
			return
		}
		c, err := ParseConfig(u)
		if err != nil {
			if !errors.Is(err, provider.ErrInvalidConfig) && !errors.Is(err, provider.ErrUnsupported) {
				t.Fatalf("error of no known kind: %v", err)
			}
			return
		}
		if c.Object == "" && c.ID == nil || c.MaxSessions < 1 || c.ModulePath == "" || c.ModuleName != "" && moduleName(c.ModulePath) != c.ModuleName {
			t.Fatalf("accepted an incomplete config %+v from %q", c, s)
		}
	})
}
