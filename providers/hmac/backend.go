package hmac

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/tinywindow/tinywindow/provider"
)

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
// The key is a *Key.
func Open(ctx context.Context, uri string) (provider.Key, error) {
	u, err := provider.ParseURI(uri)
	if err != nil {
		return nil, err
	}
	return OpenURI(ctx, u)
}

// OpenURI is Open for a parsed URI.
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

// ParseSeed parses a decimal seed from 0 to 2^64-1, as the MVP's keygen took.
func ParseSeed(s string) (uint64, error) {
	if s == "" {
		return 0, fmt.Errorf("%w: empty seed; give a decimal integer from 0 to 18446744073709551615", provider.ErrInvalidConfig)
	}
	if strings.TrimLeft(s, "0123456789") != "" {
		return 0, fmt.Errorf("%w: seed %q is not a decimal integer from 0 to 18446744073709551615", provider.ErrInvalidConfig, s)
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: seed %q is out of range: it must be from 0 to 18446744073709551615", provider.ErrInvalidConfig, s)
	}
	return n, nil
}

// generate writes a fresh random 32-byte key, as hex, to the file named by
// key-source=file:PATH (created with mode 0600; an existing file is never
// overwritten), or imports nothing: a seed key needs no creation.
func generate(_ context.Context, u *provider.URI, req provider.GenerateRequest) (provider.KeyInfo, error) {
	if err := u.Check(Scheme, "key-source"); err != nil {
		return provider.KeyInfo{}, fmt.Errorf("%w (keygen for hmac writes a new key to key-source=file:PATH)", err)
	}
	if req.Algorithm != "" && req.Algorithm != provider.HMACSHA256 {
		return provider.KeyInfo{}, fmt.Errorf("%w: the hmac backend has only %s, not %s", provider.ErrUnsupported, provider.HMACSHA256, req.Algorithm)
	}
	source, _ := u.Get("key-source")
	path, ok := strings.CutPrefix(source, "file:")
	if !ok || path == "" {
		return provider.KeyInfo{}, fmt.Errorf("%w: keygen for hmac needs key-source=file:PATH to write the new key to", provider.ErrInvalidConfig)
	}
	var secret [KeySize]byte
	defer provider.Zero(secret[:])
	if req.Import != "" {
		imported, err := provider.ReadHexSecret(req.Import, -KeySize)
		if err != nil {
			return provider.KeyInfo{}, fmt.Errorf("hmac import: %w", err)
		}
		if len(imported) != KeySize {
			provider.Zero(imported)
			return provider.KeyInfo{}, fmt.Errorf("%w: hmac import: key is %d bytes; keygen writes %d-byte keys", provider.ErrInvalidConfig, len(imported), KeySize)
		}
		copy(secret[:], imported)
		provider.Zero(imported)
	} else if _, err := rand.Read(secret[:]); err != nil {
		return provider.KeyInfo{}, fmt.Errorf("%w: crypto/rand: %w", provider.ErrUnavailable, err)
	}
	text := make([]byte, 2*KeySize+1)
	defer provider.Zero(text)
	hex.Encode(text, secret[:])
	text[2*KeySize] = '\n'
	if err := provider.WriteSecretFile(path, text); err != nil {
		return provider.KeyInfo{}, fmt.Errorf("hmac keygen: %w", err)
	}
	k, err := New(secret[:])
	if err != nil {
		return provider.KeyInfo{}, err
	}
	defer k.Close()
	return k.Info(), nil
}
