package vaulttransit

import (
	"context"
	"encoding/base64"
	"fmt"

	"github.com/tinywindow/tinywindow/provider"
)

// MACKey is a Transit key of type hmac, at one version. Sign calls the hmac
// endpoint with sha2-256 and Verify the verify endpoint: the key never
// leaves Vault, so both go to the server, whatever verify= says. It is safe
// for concurrent use.
type MACKey struct {
	base
}

var (
	_ provider.Key          = (*MACKey)(nil)
	_ provider.AppendSigner = (*MACKey)(nil)
	_ provider.Determinism  = (*MACKey)(nil)
)

// MACSize is the size of an HMAC-SHA256 tag.
const MACSize = 32

// Deterministic reports true: the same message always gives the same tag.
func (k *MACKey) Deterministic() bool { return true }

// Sign returns the HMAC-SHA256 tag of msg, without Vault's vault:vN: prefix.
func (k *MACKey) Sign(ctx context.Context, msg []byte) ([]byte, error) {
	if err := k.check(ctx); err != nil {
		return nil, err
	}
	data, err := k.write(ctx, "hmac", "hmac/"+k.opts.key+"/sha2-256", map[string]any{
		"input": base64.StdEncoding.EncodeToString(msg), "key_version": k.version,
	})
	if err != nil {
		return nil, err
	}
	s, _ := data["hmac"].(string)
	tag, err := decodeWire(s, k.version)
	if err != nil {
		return nil, fmt.Errorf("vault hmac of %s: %w", k.opts.key, err)
	}
	if len(tag) != MACSize {
		return nil, fmt.Errorf("%w: vault hmac of %s: Vault returned a %d-byte tag, want %d", provider.ErrUnavailable, k.opts.key, len(tag), MACSize)
	}
	return tag, nil
}

// Verify checks tag over msg with the verify endpoint. A tag that is not
// MACSize bytes is invalid without a call.
func (k *MACKey) Verify(ctx context.Context, msg, tag []byte) error {
	if err := k.check(ctx); err != nil {
		return err
	}
	if len(tag) != MACSize {
		return fmt.Errorf("%w: HMAC-SHA256 tag is %d bytes, want %d", provider.ErrInvalidSignature, len(tag), MACSize)
	}
	data, err := k.write(ctx, "verify", "verify/"+k.opts.key+"/sha2-256", map[string]any{
		"input": base64.StdEncoding.EncodeToString(msg), "hmac": encodeWire(k.version, tag),
	})
	if err != nil {
		return err
	}
	valid, ok := data["valid"].(bool)
	if !ok {
		return fmt.Errorf("%w: vault verify of %s: the answer has no valid field", provider.ErrUnavailable, k.opts.key)
	}
	if !valid {
		return fmt.Errorf("%w: vault verify of HMAC with %s version %d answered valid=false", provider.ErrInvalidSignature, k.opts.key, k.version)
	}
	return nil
}

// SignAppend appends the tag of msg to dst.
func (k *MACKey) SignAppend(ctx context.Context, dst, msg []byte) ([]byte, error) {
	tag, err := k.Sign(ctx, msg)
	if err != nil {
		return dst, err
	}
	return append(dst, tag...), nil
}
