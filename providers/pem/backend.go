package pem

import (
	"context"
	"crypto"
	"fmt"
	"strings"

	"github.com/tinywindow/tinywindow/internal/spki"
	"github.com/tinywindow/tinywindow/provider"
)

// Scheme is the key URI scheme of this backend.
const Scheme = "pem"

func init() {
	provider.Register(provider.Backend{
		Scheme:      Scheme,
		Description: "software keys in PEM files (PKCS#8, SEC 1, PKCS#1, OpenSSH): Ed25519, ECDSA, RSA; verify-only keys from PEM public keys (also ML-DSA, SLH-DSA)",
		Algorithms:  Algorithms(),
		Open:        OpenURI,
		Generate:    generate,
	})
}

// Open opens the key named by a URI of the form
//
//	pem:key-source=file:PATH|env:NAME[;alg=ALG]
//	pem:pub-source=file:PATH|env:NAME[;alg=ALG]
//
// (see the package documentation).
//
// The key is a [*Key], or for a pub-source holding an ML-DSA or SLH-DSA
// public key a verify-only [*pqc.Key] (see [NewVerifier]).
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
	if cfg.PubSource != "" {
		return openPublic(cfg)
	}
	k, err := openPrivate(cfg)
	if err != nil {
		return nil, err
	}
	return k, nil
}

// openPublic opens the verify-only key of a pub-source.
func openPublic(cfg *Config) (provider.Key, error) {
	data, err := provider.ReadPublic(cfg.PubSource, MaxPublicKeyPEMSize)
	if err != nil {
		return nil, fmt.Errorf("pem pub-source: %w", err)
	}
	k, err := NewVerifier(data, cfg.Algorithm)
	if err != nil {
		return nil, fmt.Errorf("pem pub-source %s: %w", cfg.PubSource, err)
	}
	return k, nil
}

// openPrivate opens the key of a key-source.
func openPrivate(cfg *Config) (*Key, error) {
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
		if holdsPublicKey(source) {
			return nil, fmt.Errorf("%w: pem key-source %s holds a public key, not a private one: open it with pem:pub-source=%s to verify; signing needs the private key", provider.ErrInvalidConfig, source, source)
		}
		return nil, fmt.Errorf("pem key-source: %w", err)
	}
	defer provider.Zero(data)
	priv, err := ParsePrivateKey(data)
	if err != nil {
		return nil, fmt.Errorf("pem key-source %s: %w", source, err)
	}
	return priv, nil
}

// holdsPublicKey reports whether a source that ReadSecret refused (a file
// that others may read, say) holds a PEM public key, so that the error can
// say so instead of asking to protect a file that needs no protection.
func holdsPublicKey(source string) bool {
	if !strings.HasPrefix(source, "file:") {
		return false
	}
	data, err := provider.ReadPublic(source, MaxPublicKeyPEMSize)
	if err != nil {
		return false
	}
	_, err = spki.DecodePEM(data, MaxPublicKeyPEMSize)
	return err == nil
}
