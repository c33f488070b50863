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

// The attributes a pkcs11 URI may hold.
var uriAttrs = []string{
	"token", "serial", "slot-id", "object", "id",
	"module-path", "pin-source", "max-sessions", "alg", "verify", "session-keys",
}

// Config is a parsed and validated pkcs11 key URI.
type Config struct {
	// Exactly one of TokenLabel, Serial and SlotID (HasSlotID) picks the token.
	TokenLabel string
	Serial     string
	SlotID     uint
	HasSlotID  bool

	// Object (CKA_LABEL) and/or ID (CKA_ID) pick the key; at least one is set.
	Object string
	ID     []byte

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
	var selectors []string
	if v, ok := u.Get("token"); ok {
		if v == "" {
			return nil, fmt.Errorf("%w: pkcs11 URI: empty token label", provider.ErrInvalidConfig)
		}
		c.TokenLabel = v
		selectors = append(selectors, "token")
	}
	if v, ok := u.Get("serial"); ok {
		if v == "" {
			return nil, fmt.Errorf("%w: pkcs11 URI: empty serial", provider.ErrInvalidConfig)
		}
		c.Serial = v
		selectors = append(selectors, "serial")
	}
	if v, ok := u.Get("slot-id"); ok {
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("%w: pkcs11 URI: slot-id %q is not a decimal number", provider.ErrInvalidConfig, v)
		}
		c.SlotID, c.HasSlotID = uint(n), true
		selectors = append(selectors, "slot-id")
	}
	switch len(selectors) {
	case 0:
		return nil, fmt.Errorf("%w: pkcs11 URI picks no token; give exactly one of token=LABEL, serial=S or slot-id=N", provider.ErrInvalidConfig)
	case 1:
	default:
		return nil, fmt.Errorf("%w: pkcs11 URI picks the token %d ways (%s); give exactly one of token, serial or slot-id",
			provider.ErrInvalidConfig, len(selectors), strings.Join(selectors, ", "))
	}
	obj, hasObj := u.Get("object")
	id, hasID := u.Get("id")
	if hasObj && obj == "" || hasID && id == "" {
		return nil, fmt.Errorf("%w: pkcs11 URI: object and id must not be empty", provider.ErrInvalidConfig)
	}
	if !hasObj && !hasID {
		return nil, fmt.Errorf("%w: pkcs11 URI names no key; give object=LABEL and/or id=BYTES (percent-encoded)", provider.ErrInvalidConfig)
	}
	c.Object = obj
	if hasID {
		c.ID = []byte(id)
	}
	mp, ok := u.Get("module-path")
	if !ok || mp == "" {
		return nil, fmt.Errorf("%w: pkcs11 URI has no module-path; add ?module-path=/path/to/module.so (for SoftHSM2: /usr/lib/softhsm/libsofthsm2.so), or set it under backends.pkcs11 in the config file", provider.ErrInvalidConfig)
	}
	if !strings.HasPrefix(mp, "/") {
		return nil, fmt.Errorf("%w: pkcs11 URI: module-path %q is not an absolute path", provider.ErrInvalidConfig, mp)
	}
	c.ModulePath = mp
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
			return nil, fmt.Errorf("%w: pkcs11 URI: alg %s is not offered by this backend; use one of %v", provider.ErrUnsupported, a, Algorithms)
		}
		c.Algorithm = a
	}
	if v, ok := u.Get("verify"); ok {
		switch v {
		case "local":
		case "hsm":
			c.VerifyInHSM = true
		default:
			return nil, fmt.Errorf("%w: pkcs11 URI: verify=%q; write verify=local or verify=hsm", provider.ErrInvalidConfig, v)
		}
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

// Algorithms lists the algorithms this backend offers.
var Algorithms = []provider.Algorithm{
	provider.HMACSHA256, provider.ECDSAP256SHA256, provider.ECDSAP384SHA384,
	provider.Ed25519, provider.RSAPSSSHA256, provider.RSAPKCS1SHA256,
}

func supported(a provider.Algorithm) bool {
	for _, b := range Algorithms {
		if a == b {
			return true
		}
	}
	return false
}
