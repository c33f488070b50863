//go:build cgo && !nopkcs11

package pkcs11

import (
	"bytes"
	"fmt"

	"github.com/miekg/pkcs11"
	"github.com/tinywindow/tinywindow/provider"
)

func readPIN(cfg *Config) ([]byte, error) {
	if cfg.PINSource == "" {
		return nil, nil
	}
	raw, err := provider.ReadSecret(cfg.PINSource)
	if err != nil {
		return nil, fmt.Errorf("pkcs11 pin-source: %w", err)
	}
	pin := bytes.TrimRight(raw, "\r\n")
	if len(pin) == 0 {
		provider.Zero(raw)
		return nil, fmt.Errorf("%w: pkcs11 pin-source %q holds an empty PIN", provider.ErrInvalidConfig, cfg.PINSource)
	}
	out := append([]byte(nil), pin...)
	provider.Zero(raw)
	return out, nil
}

// openKey loads the module, finds the token and the key, and prepares the
// session pool. On error everything it acquired is released.
func openKey(cfg *Config, pin []byte) (_ *Key, err error) {
	mod, err := acquireModule(cfg.ModulePath)
	if err != nil {
		return nil, err
	}
	k := &Key{cfg: cfg, name: cfg.keyName(), mod: mod, pin: pin}
	defer func() {
		if err != nil {
			k.reloadMu.Lock()
			if k.hasHolder {
				mod.ctx.CloseSession(k.holder)
				k.hasHolder = false
			}
			k.reloadMu.Unlock()
			if k.pool != nil {
				k.pool.close()
			}
			mod.release()
		}
	}()
	slot, ti, err := mod.findSlot(cfg)
	if err != nil {
		return nil, err
	}
	k.slot = slot
	max := cfg.MaxSessions
	if lim := ti.MaxSessionCount; lim != pkcs11.CK_EFFECTIVELY_INFINITE && lim != pkcs11.CK_UNAVAILABLE_INFORMATION && int(lim) > 1 && int(lim)-1 < max {
		max = int(lim) - 1 // one is the holder of the session copies
	}
	k.pool = newPool(mod, slot, k.name, max)

	k.reloadMu.Lock()
	loc, err := k.locateLocked()
	k.reloadMu.Unlock()
	if err != nil {
		return nil, err
	}
	if err := k.setup(loc); err != nil {
		return nil, err
	}
	if k.info.Algorithm == provider.HMACSHA256 {
		id, err := k.hmacKeyID()
		if err != nil {
			return nil, err
		}
		k.info.ID = id
	}
	return k, nil
}
