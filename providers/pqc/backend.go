package pqc

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"github.com/tinywindow/tinywindow/provider"
)

func init() {
	provider.Register(provider.Backend{
		Scheme:      Scheme,
		Description: "post-quantum ML-DSA (FIPS 204) and SLH-DSA (FIPS 205) in pure Go: circl, or crypto/mldsa (engine=std, Go 1.27, FIPS 140-3 mode); interoperable with liboqs",
		Algorithms:  Algorithms(),
		Open:        OpenURI,
		Generate:    generate,
	})
}

// The attributes of a pqc URI.
var uriAttrs = []string{"alg", "seed-source", "key-source", "pub-source", "mode", "ctx", "engine"}

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

// uriOptions reads alg, mode, ctx and engine.
func uriOptions(u *provider.URI) (Options, error) {
	var opts Options
	if s, ok := u.Get("alg"); ok {
		alg, err := provider.ParseAlgorithm(s)
		if err != nil {
			return opts, fmt.Errorf("pqc alg=: %w", err)
		}
		if _, err := lookupParams(alg); err != nil {
			return opts, err
		}
		opts.Algorithm = alg
	}
	if s, ok := u.Get("mode"); ok {
		switch s {
		case "hedged":
		case "deterministic":
			opts.Deterministic = true
		default:
			return opts, fmt.Errorf("%w: pqc mode=%q; write mode=hedged (the default) or mode=deterministic", provider.ErrInvalidConfig, s)
		}
	}
	if s, ok := u.Get("ctx"); ok {
		if len(s) > MaxContextSize {
			return opts, fmt.Errorf("%w: pqc ctx= is %d bytes; FIPS 204 and FIPS 205 allow a context string of at most %d", provider.ErrInvalidConfig, len(s), MaxContextSize)
		}
		opts.Context = []byte(s)
	}
	if s, ok := u.Get("engine"); ok {
		if !slices.Contains(knownEngines, s) {
			return opts, errUnknownEngine(s)
		}
		opts.Engine = s
	}
	return opts, nil
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
