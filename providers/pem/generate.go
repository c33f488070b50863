package pem

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"strings"

	"github.com/tinywindow/tinywindow/internal/stdverify"
	"github.com/tinywindow/tinywindow/provider"
)

// DefaultAlgorithm is the algorithm of a key made without one named.
const DefaultAlgorithm = provider.Ed25519

// RSABits is the size of the RSA keys [GenerateKey] makes.
const RSABits = 3072

// GenerateKey makes a new random private key for alg: Ed25519, ECDSA on
// P-256, P-384 or P-521, or RSA of RSABits bits for RSA-PSS-SHA256 and
// RSA-PKCS1-SHA256.
func GenerateKey(alg provider.Algorithm) (crypto.Signer, error) {
	var (
		priv crypto.Signer
		err  error
	)
	switch alg {
	case provider.Ed25519:
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	case provider.ECDSAP256SHA256, provider.ECDSAP384SHA384, provider.ECDSAP521SHA512:
		priv, err = ecdsa.GenerateKey(stdverify.Curve(alg), rand.Reader)
	case provider.RSAPSSSHA256, provider.RSAPKCS1SHA256:
		priv, err = rsa.GenerateKey(rand.Reader, RSABits)
	default:
		return nil, fmt.Errorf("%w: the pem backend makes %v keys, not %s", provider.ErrUnsupported, algorithms, alg)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: generating a %s key: %w", provider.ErrUnavailable, alg, err)
	}
	return priv, nil
}

// MarshalPrivateKey encodes priv as a PKCS#8 PEM "PRIVATE KEY" block, which
// OpenSSL and every TinyWindow pem key read. The caller should zero the result
// when done.
func MarshalPrivateKey(priv crypto.Signer) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("%w: encoding the private key as PKCS#8: %w", provider.ErrUnsupported, err)
	}
	defer provider.Zero(der)
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// generate writes a new key (or the key of req.Import, a secret source
// holding a PEM private key in any form Open reads) as PKCS#8 PEM to the file
// named by key-source=file:PATH, created with mode 0600; an existing file is
// never overwritten.
func generate(ctx context.Context, u *provider.URI, req provider.GenerateRequest) (provider.KeyInfo, error) {
	if err := ctx.Err(); err != nil {
		return provider.KeyInfo{}, fmt.Errorf("%w: %w", provider.ErrUnavailable, err)
	}
	cfg, err := ParseConfig(u)
	if err != nil {
		return provider.KeyInfo{}, fmt.Errorf("%w (keygen for pem writes a new key to key-source=file:PATH)", err)
	}
	if cfg.PubSource != "" {
		return provider.KeyInfo{}, fmt.Errorf("%w: keygen for pem writes a private key to key-source=file:PATH; pub-source names a public key, which `tinywindow pubkey` prints from the private one", provider.ErrInvalidConfig)
	}
	path, ok := strings.CutPrefix(cfg.KeySource, "file:")
	if !ok || path == "" {
		return provider.KeyInfo{}, fmt.Errorf("%w: keygen for pem needs key-source=file:PATH to write the new key to", provider.ErrInvalidConfig)
	}
	alg := cfg.Algorithm
	if req.Algorithm != "" {
		if alg != "" && alg != req.Algorithm {
			return provider.KeyInfo{}, fmt.Errorf("%w: keygen asks for %s but the URI says alg=%s; make them match", provider.ErrInvalidConfig, req.Algorithm, alg)
		}
		alg = req.Algorithm
	}
	var priv crypto.Signer
	if req.Import != "" {
		if priv, err = readPrivateKey(req.Import); err != nil {
			return provider.KeyInfo{}, fmt.Errorf("pem import: %w", err)
		}
	} else {
		if alg == "" {
			alg = DefaultAlgorithm
		}
		if priv, err = GenerateKey(alg); err != nil {
			return provider.KeyInfo{}, err
		}
	}
	k, err := New(priv, alg)
	if err != nil {
		zeroPrivateKey(priv)
		return provider.KeyInfo{}, fmt.Errorf("pem keygen: %w", err)
	}
	defer k.Close()
	text, err := MarshalPrivateKey(priv)
	if err != nil {
		return provider.KeyInfo{}, err
	}
	defer provider.Zero(text)
	if err := provider.WriteSecretFile(path, text); err != nil {
		return provider.KeyInfo{}, fmt.Errorf("pem keygen: %w", err)
	}
	return k.Info(), nil
}
