package pem

import (
	"context"
	"crypto"
	"fmt"

	"github.com/tinywindow/tinywindow/provider"
)

// Scheme is the key URI scheme of this backend.
const Scheme = "pem"

func init() {
	provider.Register(provider.Backend{
		Scheme:      Scheme,
		Description: "software keys in PEM files (PKCS#8, SEC 1, PKCS#1, OpenSSH): Ed25519, ECDSA, RSA",
		Algorithms:  Algorithms(),
		Open:        OpenURI,
		Generate:    generate,
	})
}

// Open opens the key named by a URI of the form
//
//	pem:key-source=file:PATH|env:NAME[;alg=ALG]
//
// (see the package documentation).
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
	cfg, err := ParseConfig(u)
	if err != nil {
		return nil, err
	}
	priv, err := readPrivateKey(cfg.KeySource)
	if err != nil {
		return nil, err
	}
	k, err := New(priv, cfg.Algorithm)
	if err != nil {
		zeroPrivateKey(priv)
		return nil, fmt.Errorf("pem key-source %s: %w", cfg.KeySource, err)
	}
	return k, nil
}

// readPrivateKey reads and parses the PEM private key of a secret source.
func readPrivateKey(source string) (crypto.Signer, error) {
	data, err := provider.ReadSecret(source)
	if err != nil {
		return nil, fmt.Errorf("pem key-source: %w", err)
	}
	defer provider.Zero(data)
	priv, err := ParsePrivateKey(data)
	if err != nil {
		return nil, fmt.Errorf("pem key-source %s: %w", source, err)
	}
	return priv, nil
}
