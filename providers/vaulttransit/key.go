package vaulttransit

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/hashicorp/vault/api"

	"github.com/tinywindow/tinywindow/provider"
)

// base is what every vault key holds: the client, the parsed URI, the key's
// type, the version it signs with, and whether the handle is closed.
type base struct {
	client  *api.Client
	opts    *options
	kt      *keyType
	version int
	info    provider.KeyInfo
	closed  atomic.Bool
}

// Info describes the key version as it was when opened: an ID derived from
// its public key (for an HMAC key, from its address, namespace, mount, name
// and version), its algorithm, the scheme, and the version number.
func (b *base) Info() provider.KeyInfo { return b.info }

// check is the first step of every call: a closed handle or a done context
// ends it, with an error that is never ErrInvalidSignature.
func (b *base) check(ctx context.Context) error {
	if b.closed.Load() {
		return fmt.Errorf("%w: vault key %s", provider.ErrClosed, b.opts.key)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w: vault key %s: %w", provider.ErrUnavailable, b.opts.key, err)
	}
	return nil
}

// Close makes every later Sign and Verify fail with ErrClosed and forgets
// the token. It is idempotent. The key stays in Vault.
func (b *base) Close() error {
	if !b.closed.Swap(true) {
		b.client.ClearToken()
	}
	return nil
}

// write calls a Transit endpoint and returns the data of its answer.
func (b *base) write(ctx context.Context, op, path string, body map[string]any) (map[string]any, error) {
	s, err := b.client.Logical().WriteWithContext(ctx, b.opts.mount+"/"+path, body)
	if err != nil {
		return nil, vaultError(op, b.opts.key, err)
	}
	if s == nil || s.Data == nil {
		return nil, fmt.Errorf("%w: vault %s of %s: the answer holds no data", provider.ErrUnavailable, op, b.opts.key)
	}
	return s.Data, nil
}
