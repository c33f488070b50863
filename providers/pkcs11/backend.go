//go:build cgo && !nopkcs11

package pkcs11

import (
	"context"
	"fmt"

	"github.com/tinywindow/tinywindow/provider"
)

func init() {
	provider.Register(provider.Backend{
		Scheme:      Scheme,
		Description: "keys in a PKCS#11 HSM (SoftHSM2, Luna, nShield, CloudHSM, YubiHSM): HMAC, ECDSA, Ed25519, RSA",
		Algorithms:  Algorithms(),
		Open:        OpenURI,
		Generate:    generate,
	})
}

// Open opens the key named by a pkcs11 URI (see the package documentation).
// It returns a [*Key] for an HMAC-SHA256 key and an [*AsymmetricKey] otherwise.
func Open(ctx context.Context, uri string) (provider.Key, error) {
	u, err := provider.ParseURI(uri)
	if err != nil {
		return nil, err
	}
	return OpenURI(ctx, u)
}

// OpenURI is [Open] for a parsed [provider.URI].
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
