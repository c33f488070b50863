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
		{"two token selectors", "pkcs11:token=t;serial=s;object=o" + mod, provider.ErrInvalidConfig, "2 ways (token, serial)", nil},
		{"three token selectors", "pkcs11:token=t;serial=s;slot-id=1;object=o" + mod, provider.ErrInvalidConfig, "exactly one", nil},
		{"no token selector", "pkcs11:object=o" + mod, provider.ErrInvalidConfig, "picks no token", nil},
		{"no key", "pkcs11:token=t" + mod, provider.ErrInvalidConfig, "names no key", nil},
		{"empty object", "pkcs11:token=t;object=" + mod, provider.ErrInvalidConfig, "must not be empty", nil},
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
		n := 0
		for _, set := range []bool{c.TokenLabel != "", c.Serial != "", c.HasSlotID} {
			if set {
				n++
			}
		}
		if n != 1 || c.Object == "" && c.ID == nil || c.MaxSessions < 1 || c.ModulePath == "" {
			t.Fatalf("accepted an incomplete config %+v from %q", c, s)
		}
	})
}
