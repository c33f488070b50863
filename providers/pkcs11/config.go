package pkcs11

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/tinywindow/tinywindow/provider"
)

// Scheme is the key URI scheme of this backend.
const Scheme = "pkcs11"

// DefaultMaxSessions is the number of sessions a key opens at most when the URI
// sets no max-sessions; the token's own limit lowers it further.
const DefaultMaxSessions = 16

// MaxMaxSessions bounds max-sessions.
const MaxMaxSessions = 1024

// The attributes a pkcs11 URI may hold: every attribute of RFC 7512's path
// and query (pin-value is refused), and this backend's options.
var uriAttrs = []string{
	// RFC 7512 path: module, slot, token and object.
	"library-manufacturer", "library-description", "library-version",
	"slot-manufacturer", "slot-description", "slot-id",
	"token", "manufacturer", "model", "serial",
	"object", "id", "type",
	// RFC 7512 query.
	"module-name", "module-path", "pin-source",
	// This backend's options.
	"max-sessions", "alg", "verify", "session-keys",
}

// Config is a parsed and validated pkcs11 key URI. Every RFC 7512 attribute
// present is a constraint that the module, slot, token or key must match;
// an attribute left out matches anything.
type Config struct {
	// Module constraints, checked against C_GetInfo.
	LibraryManufacturer string
	LibraryDescription  string
	LibraryVersion      string // "M.N"; library-version=M means M.0

	// Slot constraints, checked against the slot list and C_GetSlotInfo.
	SlotManufacturer string
	SlotDescription  string
	SlotID           uint
	HasSlotID        bool

	// Token constraints, checked against C_GetTokenInfo. Exactly one token
	// must match all of them (and the slot constraints).
	TokenLabel        string
	TokenManufacturer string
	Model             string
	Serial            string

	// Object (CKA_LABEL) and/or ID (CKA_ID) pick the key; at least one is
	// set. Type is the RFC 7512 object type: "private", "secret-key", or
	// empty for either.
	Object string
	ID     []byte
	Type   string

	// ModuleName, if set, must be the name of the module at ModulePath
	// (libNAME.so, NAME.so, NAME.dll, libNAME.dylib).
	ModuleName  string
	ModulePath  string
	PINSource   string // empty: no login
	MaxSessions int
	// Algorithm is the algorithm the key must have; empty: the key's own.
	Algorithm provider.Algorithm
	// VerifyInHSM makes asymmetric keys verify with C_Verify instead of
	// locally with the cached public key.
	VerifyInHSM bool
	// SessionKeys allows working on a session-object copy of the key.
	SessionKeys bool
}

// ParseConfig validates a pkcs11 URI. It does no I/O: the module, the token,
// the PIN and the key are looked at when the key is opened.
func ParseConfig(u *provider.URI) (*Config, error) {
	if u.Has("pin-value") {
		return nil, fmt.Errorf("%w: pkcs11 URI holds pin-value: a PIN must never stand in clear in a URI; use pin-source=env:NAME or pin-source=file:PATH (mode 0600)", provider.ErrInvalidConfig)
	}
	if err := u.Check(Scheme, uriAttrs...); err != nil {
		return nil, err
	}
	c := &Config{MaxSessions: DefaultMaxSessions, SessionKeys: true}
	for _, f := range []struct {
		name string
		dst  *string
	}{
		{"library-manufacturer", &c.LibraryManufacturer},
		{"library-description", &c.LibraryDescription},
		{"slot-manufacturer", &c.SlotManufacturer},
		{"slot-description", &c.SlotDescription},
		{"token", &c.TokenLabel},
		{"manufacturer", &c.TokenManufacturer},
		{"model", &c.Model},
		{"serial", &c.Serial},
		{"object", &c.Object},
		{"module-name", &c.ModuleName},
	} {
		if v, ok := u.Get(f.name); ok {
			if v == "" {
				return nil, fmt.Errorf("%w: pkcs11 URI: %s is empty; leave the attribute out to match any", provider.ErrInvalidConfig, f.name)
			}
			*f.dst = v
		}
	}
	if v, ok := u.Get("library-version"); ok {
		lv, err := parseLibraryVersion(v)
		if err != nil {
			return nil, err
		}
		c.LibraryVersion = lv
	}
	if v, ok := u.Get("slot-id"); ok {
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("%w: pkcs11 URI: slot-id %q is not a decimal number", provider.ErrInvalidConfig, v)
		}
		c.SlotID, c.HasSlotID = uint(n), true
	}
	id, hasID := u.Get("id")
	if hasID && id == "" {
		return nil, fmt.Errorf("%w: pkcs11 URI: id is empty; leave the attribute out to match any", provider.ErrInvalidConfig)
	}
	if c.Object == "" && !hasID {
		return nil, fmt.Errorf("%w: pkcs11 URI names no key; give object=LABEL and/or id=BYTES (percent-encoded)", provider.ErrInvalidConfig)
	}
	if hasID {
		c.ID = []byte(id)
	}
	if v, ok := u.Get("type"); ok {
		switch v {
		case "private", "secret-key":
			c.Type = v
		case "public", "cert", "data":
			return nil, fmt.Errorf("%w: pkcs11 URI: type=%s names an object that cannot sign; name the private key (type=private) or the secret key (type=secret-key), whose public key is found beside it", provider.ErrUnsupported, v)
		default:
			return nil, fmt.Errorf("%w: pkcs11 URI: type=%q; RFC 7512 types are private, secret-key, public, cert and data, and a key to sign with is private or secret-key", provider.ErrInvalidConfig, v)
		}
	}
	mp, ok := u.Get("module-path")
	if !ok || mp == "" {
		return nil, fmt.Errorf("%w: pkcs11 URI has no module-path; add ?module-path=/path/to/module.so (for SoftHSM2: /usr/lib/softhsm/libsofthsm2.so), or set it under backends.pkcs11 in the config file", provider.ErrInvalidConfig)
	}
	if !strings.HasPrefix(mp, "/") {
		return nil, fmt.Errorf("%w: pkcs11 URI: module-path %q is not an absolute path", provider.ErrInvalidConfig, mp)
	}
	c.ModulePath = mp
	if c.ModuleName != "" && moduleName(mp) != c.ModuleName {
		return nil, fmt.Errorf("%w: pkcs11 URI: module-name=%s but module-path %s is module %q; make them agree, or drop module-name", provider.ErrInvalidConfig, c.ModuleName, mp, moduleName(mp))
	}
	if v, ok := u.Get("pin-source"); ok {
		if !strings.HasPrefix(v, "env:") && !strings.HasPrefix(v, "file:") {
			return nil, fmt.Errorf("%w: pkcs11 URI: pin-source is neither env:NAME nor file:PATH (its value is not shown: it may be a PIN, which never stands in a URI)", provider.ErrInvalidConfig)
		}
		c.PINSource = v
	}
	if v, ok := u.Get("max-sessions"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxMaxSessions {
			return nil, fmt.Errorf("%w: pkcs11 URI: max-sessions %q must be a whole number from 1 to %d", provider.ErrInvalidConfig, v, MaxMaxSessions)
		}
		c.MaxSessions = n
	}
	if v, ok := u.Get("alg"); ok {
		a, err := provider.ParseAlgorithm(v)
		if err != nil {
			return nil, fmt.Errorf("pkcs11 URI: alg: %w", err)
		}
		if !supported(a) {
			return nil, fmt.Errorf("%w: pkcs11 URI: alg %s is not offered by this backend; use one of %v", provider.ErrUnsupported, a, algorithms)
		}
		c.Algorithm = a
	}
	if c.Type != "" && c.Algorithm != "" && (c.Type == "secret-key") != c.Algorithm.Symmetric() {
		return nil, fmt.Errorf("%w: pkcs11 URI: type=%s does not fit alg=%s", provider.ErrInvalidConfig, c.Type, c.Algorithm)
	}
	if v, _ := u.Get("verify"); v == "hsm" { // the older word for verify=remote
		c.VerifyInHSM = true
	} else {
		inToken, err := u.VerifyRemote("C_Verify in the token; verify=hsm is the same")
		if err != nil {
			return nil, err
		}
		c.VerifyInHSM = inToken
	}
	if v, ok := u.Get("session-keys"); ok {
		switch v {
		case "auto":
		case "off":
			c.SessionKeys = false
		default:
			return nil, fmt.Errorf("%w: pkcs11 URI: session-keys=%q; write session-keys=auto or session-keys=off", provider.ErrInvalidConfig, v)
		}
	}
	return c, nil
}

// parseLibraryVersion checks an RFC 7512 library-version, "M" or "M.N" with
// each number from 0 to 255, and returns it as "M.N".
func parseLibraryVersion(v string) (string, error) {
	major, minor, hasMinor := strings.Cut(v, ".")
	if !hasMinor {
		minor = "0"
	}
	for _, n := range []string{major, minor} {
		if x, err := strconv.ParseUint(n, 10, 8); err != nil || strings.TrimLeft(n, "0123456789") != "" || x > 255 {
			return "", fmt.Errorf("%w: pkcs11 URI: library-version %q is not M or M.N (numbers from 0 to 255)", provider.ErrInvalidConfig, v)
		}
	}
	a, _ := strconv.ParseUint(major, 10, 8)
	b, _ := strconv.ParseUint(minor, 10, 8)
	return fmt.Sprintf("%d.%d", a, b), nil
}

// moduleName returns the name of the module at path, in the sense of RFC
// 7512's module-name: the file name without directory, "lib" prefix and
// shared-library extension (/usr/lib/softhsm/libsofthsm2.so is "softhsm2").
func moduleName(path string) string {
	name := path[strings.LastIndexByte(path, '/')+1:]
	// Version numbers after .so: libCryptoki2_64.so.1.2.
	for {
		i := strings.LastIndexByte(name, '.')
		if i < 0 || name[i+1:] == "" || strings.Trim(name[i+1:], "0123456789") != "" {
			break
		}
		name = name[:i]
	}
	for _, ext := range []string{".so", ".dylib", ".dll"} {
		if n, ok := strings.CutSuffix(name, ext); ok {
			name = n
			break
		}
	}
	return strings.TrimPrefix(name, "lib")
}
