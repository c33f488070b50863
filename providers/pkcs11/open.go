//go:build cgo && !nopkcs11

package pkcs11

import (
	"bytes"
	"context"
	"fmt"

	"github.com/miekg/pkcs11"
	"github.com/tinywindow/tinywindow/provider"
)

// Open opens the key named by a pkcs11 URI (see the package documentation).
// It returns a *Key for an HMAC-SHA256 key and an *AsymmetricKey otherwise.
func Open(ctx context.Context, uri string) (provider.Key, error) {
	u, err := provider.ParseURI(uri)
	if err != nil {
		return nil, err
	}
	return OpenURI(ctx, u)
}

// OpenURI is Open for a parsed URI.
func OpenURI(ctx context.Context, u *provider.URI) (provider.Key, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", provider.ErrUnavailable, err)
	}
	cfg, err := ParseConfig(u)
	if err != nil {
		return nil, err
	}
	pin, err := readPIN(cfg)
	if err != nil {
		return nil, err
	}
	k, err := openKey(cfg, pin)
	if err != nil {
		provider.Zero(pin)
		return nil, err
	}
	if k.info.Algorithm == provider.HMACSHA256 {
		return k, nil
	}
	return &AsymmetricKey{k}, nil
}

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
	k := &Key{cfg: cfg, mod: mod, pin: pin}
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
	k.pool = newPool(mod, slot, max)

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
