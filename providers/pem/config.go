package pem

import (
	"fmt"
	"slices"
	"strings"

	"github.com/tinywindow/tinywindow/provider"
)

// The attributes a pem URI may hold.
var uriAttrs = []string{"key-source", "pub-source", "alg"}

// Config is a parsed and validated pem key URI.
type Config struct {
	// KeySource is the secret source (env:NAME or file:PATH) holding the
	// PEM private key; empty for a verify-only key.
	KeySource string
	// PubSource is the source (env:NAME or file:PATH, a file anyone may
	// read) holding the PEM public key of a verify-only key; empty for a
	// private key. Exactly one of KeySource and PubSource is set.
	PubSource string
	// Algorithm is the algorithm the key must have; empty: the key's own
	// (RSA-PSS-SHA256 for an RSA key).
	Algorithm provider.Algorithm
}

// ParseConfig validates a pem URI. It does no I/O.
func ParseConfig(u *provider.URI) (*Config, error) {
	if err := u.Check(Scheme, uriAttrs...); err != nil {
		return nil, err
	}
	c := &Config{}
	src, hasKey := u.Get("key-source")
	pub, hasPub := u.Get("pub-source")
	switch {
	case hasKey && hasPub:
		return nil, fmt.Errorf("%w: pem URI has both key-source and pub-source; give key-source to sign, or pub-source alone to verify", provider.ErrInvalidConfig)
	case hasPub:
		if !strings.HasPrefix(pub, "env:") && !strings.HasPrefix(pub, "file:") {
			return nil, fmt.Errorf("%w: pem URI: pub-source %q is neither env:NAME nor file:PATH", provider.ErrInvalidConfig, pub)
		}
		c.PubSource = pub
	case !hasKey:
		return nil, fmt.Errorf("%w: pem URI names no key; write pem:key-source=file:PATH (or env:NAME holding the PEM text), or pem:pub-source=file:PATH for a verify-only key", provider.ErrInvalidConfig)
	case !strings.HasPrefix(src, "env:") && !strings.HasPrefix(src, "file:"):
		return nil, fmt.Errorf("%w: pem URI: key-source is neither env:NAME nor file:PATH (its value is not shown, in case it is itself a secret)", provider.ErrInvalidConfig)
	default:
		c.KeySource = src
	}
	if v, ok := u.Get("alg"); ok {
		a, err := provider.ParseAlgorithm(v)
		if err != nil {
			return nil, fmt.Errorf("pem URI: alg: %w", err)
		}
		if !slices.Contains(algorithms, a) {
			return nil, fmt.Errorf("%w: pem URI: alg %s is not offered by this backend; use one of %v", provider.ErrUnsupported, a, algorithms)
		}
		c.Algorithm = a
	}
	return c, nil
}
