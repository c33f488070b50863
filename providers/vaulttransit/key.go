package vaulttransit

import (
	"context"

	"github.com/hashicorp/vault/api"

	"github.com/tinywindow/tinywindow/provider"
)

// base is the service state every vault key holds: the client, the parsed
// URI, the key's type and the version it signs with. The handle's own state
// (its description, whether it is closed) is a cloudkey.Handle beside it,
// whose Close forgets the token.
type base struct {
	client  *api.Client
	opts    *options
	kt      *keyType
	version int
}

// write calls a Transit endpoint and returns the data of its answer.
func (b *base) write(ctx context.Context, op, path string, body map[string]any) (map[string]any, error) {
	s, err := b.client.Logical().WriteWithContext(ctx, b.opts.mount+"/"+path, body)
	if err != nil {
		return nil, opError(op, b.opts.key, err)
	}
	if s == nil || s.Data == nil {
		return nil, provider.OpErrorf(Scheme, op, b.opts.key, provider.ErrUnavailable, "the answer holds no data")
	}
	return s.Data, nil
}

// forgetToken is the release of a vault key's handle: it clears the
// client's token.
func forgetToken(c *api.Client) func() error {
	return func() error {
		c.ClearToken()
		return nil
	}
}
