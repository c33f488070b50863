package pqc

import (
	"fmt"
	"slices"

	"github.com/tinywindow/tinywindow/provider"
)

// The attributes of a pqc URI.
var uriAttrs = []string{"alg", "seed-source", "key-source", "pub-source", "mode", "ctx", "engine"}

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
