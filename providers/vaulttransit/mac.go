package vaulttransit

import (
	"context"
	"encoding/base64"

	"github.com/tinywindow/tinywindow/internal/cloudkey"
	"github.com/tinywindow/tinywindow/provider"
)

// MACKey is a Transit key of type hmac, at one version. Sign calls the hmac
// endpoint with sha2-256 and Verify the verify endpoint: the key never
// leaves Vault, so both go to the server, whatever verify= says. Tags are
// returned without Vault's vault:vN: prefix. It is safe for concurrent use.
type MACKey struct {
	cloudkey.MACKey
	base
}

// MACSize is the size of an HMAC-SHA256 tag.
const MACSize = cloudkey.MACSize

// macCalls are the two Transit calls of a MACKey.
type macCalls base

// MAC calls the hmac endpoint and strips the vault:vN: prefix, which must
// name the handle's version.
func (c *macCalls) MAC(ctx context.Context, msg []byte) ([]byte, error) {
	data, err := (*base)(c).write(ctx, "hmac", "hmac/"+c.opts.key+"/sha2-256", map[string]any{
		"input": base64.StdEncoding.EncodeToString(msg), "key_version": c.version,
	})
	if err != nil {
		return nil, err
	}
	s, _ := data["hmac"].(string)
	tag, err := decodeWire(s, c.version)
	if err != nil {
		return nil, &provider.OpError{Backend: Scheme, Op: "hmac", Key: c.opts.key, Kind: provider.ErrUnavailable, Err: err}
	}
	return tag, nil
}

// VerifyMAC calls the verify endpoint with the tag in Vault's form for the
// handle's version.
func (c *macCalls) VerifyMAC(ctx context.Context, msg, tag []byte) (bool, error) {
	data, err := (*base)(c).write(ctx, "verify", "verify/"+c.opts.key+"/sha2-256", map[string]any{
		"input": base64.StdEncoding.EncodeToString(msg), "hmac": encodeWire(c.version, tag),
	})
	if err != nil {
		return false, err
	}
	valid, ok := data["valid"].(bool)
	if !ok {
		return false, provider.OpErrorf(Scheme, "verify", c.opts.key, provider.ErrUnavailable, "the answer has no valid field")
	}
	return valid, nil
}
