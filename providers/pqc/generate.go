package pqc

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/tinywindow/tinywindow/provider"
)

// generate writes a fresh random seed (or the seed named by req.Import), as
// hex and a newline, to the file named by seed-source=file:PATH, created with
// mode 0600; an existing file is never overwritten. It returns the new key's
// description.
func generate(ctx context.Context, u *provider.URI, req provider.GenerateRequest) (provider.KeyInfo, error) {
	if err := ctx.Err(); err != nil {
		return provider.KeyInfo{}, fmt.Errorf("%w: %w", provider.ErrUnavailable, err)
	}
	if err := u.Check(Scheme, "alg", "seed-source", "mode", "ctx", "engine"); err != nil {
		return provider.KeyInfo{}, fmt.Errorf("%w (keygen for pqc writes a new seed to seed-source=file:PATH)", err)
	}
	opts, err := uriOptions(u)
	if err != nil {
		return provider.KeyInfo{}, err
	}
	if req.Algorithm != "" {
		if opts.Algorithm != "" && opts.Algorithm != req.Algorithm {
			return provider.KeyInfo{}, fmt.Errorf("%w: keygen asks for %s but the URI says alg=%s; make them match", provider.ErrInvalidConfig, req.Algorithm, opts.Algorithm)
		}
		opts.Algorithm = req.Algorithm
	}
	p, err := opts.params()
	if err != nil {
		return provider.KeyInfo{}, err
	}
	source, _ := u.Get("seed-source")
	path, ok := strings.CutPrefix(source, "file:")
	if !ok || path == "" {
		return provider.KeyInfo{}, fmt.Errorf("%w: keygen for pqc needs seed-source=file:PATH to write the new seed to", provider.ErrInvalidConfig)
	}
	var seed []byte
	if req.Import != "" {
		seed, err = provider.ReadHexSecret(req.Import, p.seedSize)
		if err != nil {
			return provider.KeyInfo{}, fmt.Errorf("pqc import of a %s seed: %w", p.alg, err)
		}
	} else {
		seed = make([]byte, p.seedSize)
		if _, err := rand.Read(seed); err != nil {
			return provider.KeyInfo{}, fmt.Errorf("%w: crypto/rand: %w", provider.ErrUnavailable, err)
		}
	}
	defer provider.Zero(seed)
	k, err := NewFromSeed(seed, opts)
	if err != nil {
		return provider.KeyInfo{}, err
	}
	defer k.Close()
	if err := writeSeedFile(path, seed); err != nil {
		return provider.KeyInfo{}, err
	}
	return k.Info(), nil
}

// writeSeedFile writes seed as hex and a newline to a new file of mode 0600.
func writeSeedFile(path string, seed []byte) error {
	text := make([]byte, 2*len(seed)+1)
	defer provider.Zero(text)
	hex.Encode(text, seed)
	text[len(text)-1] = '\n'
	if err := provider.WriteSecretFile(path, text); err != nil {
		return fmt.Errorf("pqc keygen: %w", err)
	}
	return nil
}
