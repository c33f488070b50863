package vaulttransit

import (
	"context"
	"errors"
	"fmt"

	"github.com/tinywindow/tinywindow/provider"
)

// generate creates the Transit key named by the URI, of the type for
// req.Algorithm (ECDSA-P256-SHA256 when empty), not exportable. It backs
//
//	tinywindow keygen --signer 'vault:addr=https://vault:8200;key=orders' --alg ECDSA-P256-SHA256
//
// A key that already exists is an error (Vault itself would answer with a
// warning only). RSA algorithms create rsa-3072 keys; RSA-PKCS1-SHA256 keys
// are then opened with signature-algorithm=pkcs1v15. Key material cannot be
// imported this way.
func generate(ctx context.Context, u *provider.URI, req provider.GenerateRequest) (provider.KeyInfo, error) {
	o, err := parseOptions(u)
	if err != nil {
		return provider.KeyInfo{}, err
	}
	if o.version != 0 {
		return provider.KeyInfo{}, fmt.Errorf("%w: vault keygen creates version 1; drop version=", provider.ErrInvalidConfig)
	}
	if req.Import != "" {
		return provider.KeyInfo{}, fmt.Errorf("%w: vault keygen cannot import key material; use Transit's import endpoint (BYOK)", provider.ErrUnsupported)
	}
	typ, err := typeForAlgorithm(req.Algorithm)
	if err != nil {
		return provider.KeyInfo{}, err
	}
	if req.Algorithm == provider.RSAPKCS1SHA256 {
		if _, set := u.Get("signature-algorithm"); set && !o.pkcs1 {
			return provider.KeyInfo{}, fmt.Errorf("%w: vault keygen: --alg RSA-PKCS1-SHA256 with signature-algorithm=pss", provider.ErrInvalidConfig)
		}
		o.pkcs1 = true
	} else if o.pkcs1 && typ != "rsa-3072" {
		return provider.KeyInfo{}, fmt.Errorf("%w: vault keygen: signature-algorithm=pkcs1v15 is for RSA keys", provider.ErrInvalidConfig)
	}
	if err := ctx.Err(); err != nil {
		return provider.KeyInfo{}, fmt.Errorf("%w: vault keygen: %w", provider.ErrUnavailable, err)
	}
	c, err := newClient(o)
	if err != nil {
		return provider.KeyInfo{}, err
	}
	if _, err := readKey(ctx, c, o); err == nil {
		return provider.KeyInfo{}, fmt.Errorf("%w: vault keygen: Transit key %s already exists at %s; choose another name", provider.ErrInvalidConfig, o.key, o.mount)
	} else if !errors.Is(err, provider.ErrKeyNotFound) {
		return provider.KeyInfo{}, err
	}
	if _, err := c.Logical().WriteWithContext(ctx, o.mount+"/keys/"+o.key, map[string]any{"type": typ, "exportable": false}); err != nil {
		return provider.KeyInfo{}, opError("create keys", o.key, err)
	}
	k, err := openKey(ctx, c, o)
	if err != nil {
		return provider.KeyInfo{}, fmt.Errorf("vault keygen: created key %s, but opening it failed: %w", o.key, err)
	}
	defer k.Close()
	return k.Info(), nil
}
