package hmac

import (
	"context"
	"fmt"

	"github.com/tinywindow/tinywindow/provider"
)

// Scheme is the key URI scheme of this backend.
const Scheme = "hmac"

func init() {
	provider.Register(provider.Backend{
		Scheme:      Scheme,
		Description: "deterministic HMAC-SHA256, byte-compatible with the MVP (a MAC, not a signature)",
		Algorithms:  Algorithms(),
		Open:        OpenURI,
		Generate:    generate,
	})
}

// Open opens the key named by a URI of one of the forms
//
//	hmac:seed=N                   the MVP's deterministic key for seed N (0 to 2^64-1)
//	hmac:key-source=env:NAME      hex key material (at least 32 bytes) from NAME
//	hmac:key-source=file:PATH     hex key material from a file of mode 0600
//
// The key is a [*Key].
func Open(ctx context.Context, uri string) (provider.Key, error) {
	u, err := provider.ParseURI(uri)
	if err != nil {
		return nil, err
	}
	return OpenURI(ctx, u)
}

// OpenURI is [Open] for a parsed [provider.URI].
func OpenURI(_ context.Context, u *provider.URI) (provider.Key, error) {
	k, err := openURI(u)
	if err != nil {
		return nil, err
	}
	return k, nil
}

func openURI(u *provider.URI) (*Key, error) {
	if err := u.Check(Scheme, "seed", "key-source"); err != nil {
		return nil, err
	}
	seed, hasSeed := u.Get("seed")
	source, hasSource := u.Get("key-source")
	switch {
	case hasSeed && hasSource:
		return nil, fmt.Errorf("%w: hmac URI has both seed and key-source; give exactly one", provider.ErrInvalidConfig)
	case hasSeed:
		n, err := ParseSeed(seed)
		if err != nil {
			return nil, err
		}
		return NewFromSeed(n), nil
	case hasSource:
		secret, err := provider.ReadHexSecret(source, -KeySize)
		if err != nil {
			return nil, fmt.Errorf("hmac key-source: %w", err)
		}
		defer provider.Zero(secret)
		return New(secret)
	default:
		return nil, fmt.Errorf("%w: hmac URI names no key; write hmac:seed=N or hmac:key-source=env:NAME (or file:PATH)", provider.ErrInvalidConfig)
	}
}
