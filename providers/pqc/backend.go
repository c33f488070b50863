package pqc

import (
	"context"
	"fmt"
	"strings"

	"github.com/tinywindow/tinywindow/provider"
)

// Scheme is the key URI scheme of this backend.
const Scheme = "pqc"

func init() {
	provider.Register(provider.Backend{
		Scheme:      Scheme,
		Description: "post-quantum ML-DSA (FIPS 204) and SLH-DSA (FIPS 205) in pure Go: circl, or crypto/mldsa (engine=std, Go 1.27, FIPS 140-3 mode); interoperable with liboqs",
		Algorithms:  Algorithms(),
		Open:        OpenURI,
		Generate:    generate,
	})
}

// Open opens the key named by a URI of one of the forms
//
//	pqc:[alg=ALG;]seed-source=env:NAME|file:PATH   key from a hex seed
//	pqc:[alg=ALG;]key-source=env:NAME|file:PATH    hex expanded private key, validated
//	pqc:[alg=ALG;]pub-source=env:NAME|file:PATH    verify-only key from a PEM public key
//
// each with the optional attributes mode=hedged|deterministic, ctx=STRING and
// engine=circl|std (see Options.Engine).
// ALG is ML-DSA-44, ML-DSA-65 (the default), ML-DSA-87, SLH-DSA-SHA2-128s or
// SLH-DSA-SHA2-128f. Seed and key files must have mode 0600; a public key file
// may be readable by anyone.
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
func OpenURI(ctx context.Context, u *provider.URI) (provider.Key, error) {
	k, err := openURI(ctx, u)
	if err != nil {
		return nil, err
	}
	return k, nil
}

func openURI(ctx context.Context, u *provider.URI) (*Key, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", provider.ErrUnavailable, err)
	}
	if err := u.Check(Scheme, uriAttrs...); err != nil {
		return nil, err
	}
	opts, err := uriOptions(u)
	if err != nil {
		return nil, err
	}
	var sources []string
	for _, name := range []string{"seed-source", "key-source", "pub-source"} {
		if u.Has(name) {
			sources = append(sources, name)
		}
	}
	switch len(sources) {
	case 0:
		return nil, fmt.Errorf("%w: pqc URI names no key; write pqc:alg=ML-DSA-65;seed-source=file:PATH (or key-source=, or pub-source= for a verify-only key)", provider.ErrInvalidConfig)
	case 1:
	default:
		return nil, fmt.Errorf("%w: pqc URI has %s; give exactly one of seed-source, key-source and pub-source", provider.ErrInvalidConfig, strings.Join(sources, " and "))
	}
	src, _ := u.Get(sources[0])
	switch sources[0] {
	case "seed-source":
		p, err := opts.params()
		if err != nil {
			return nil, err
		}
		seed, err := provider.ReadHexSecret(src, p.seedSize)
		if err != nil {
			return nil, fmt.Errorf("pqc seed-source (%s seed, %d hex digits): %w", p.alg, 2*p.seedSize, err)
		}
		defer provider.Zero(seed)
		return NewFromSeed(seed, opts)
	case "key-source":
		p, err := opts.params()
		if err != nil {
			return nil, err
		}
		sk, err := provider.ReadHexSecret(src, p.privKeySize)
		if err != nil {
			return nil, fmt.Errorf("pqc key-source (%s expanded private key, %d hex digits): %w", p.alg, 2*p.privKeySize, err)
		}
		defer provider.Zero(sk)
		return NewFromPrivateKey(sk, opts)
	default:
		data, err := readPublicSource(src)
		if err != nil {
			return nil, err
		}
		return NewVerifier(data, opts)
	}
}

// readPublicSource reads a PEM public key from env:NAME or file:PATH. A
// public key is not a secret, so the file may be readable by anyone.
func readPublicSource(src string) ([]byte, error) {
	data, err := provider.ReadPublic(src, MaxPublicKeyPEMSize)
	if err != nil {
		return nil, fmt.Errorf("pqc pub-source: %w", err)
	}
	return data, nil
}
