// Package config reads the YAML configuration file of the tinywindow
// command and resolves the URI of the active signer: the --signer flag, else
// the TINYWINDOW_SIGNER environment variable, else the file's signer, with
// the file's per-backend options added. A program that names its keys by URI
// alone needs nothing from this package; the key contract is package
// provider.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/tinywindow/tinywindow/internal/printable"
	"github.com/tinywindow/tinywindow/internal/regularfile"
	"github.com/tinywindow/tinywindow/provider"
)

// SignerEnv names the environment variable whose value, when set, overrides
// the signer URI of the configuration file.
const SignerEnv = "TINYWINDOW_SIGNER"

// MaxSize bounds the size of a configuration file.
const MaxSize = 1 << 20

// Config is the YAML configuration file:
//
//	signer: "pkcs11:token=prod;object=orders"
//	backends:
//	  pkcs11:
//	    module-path: /usr/lib/softhsm/libsofthsm2.so
//	    pin-source: env:TW_PIN
//
// Signer is the URI of the active signer. Backends holds, per scheme, query
// attributes added to a URI of that scheme where the URI does not set them.
// Keys names key URIs, so that a URI of a scheme that combines keys (see
// RegisterKeyRefs) can refer to them by name:
//
//	keys:
//	  orders-pq:  "pqc:alg=ML-DSA-65;seed-source=file:/etc/tw/seed"
//	  orders-hsm: "pkcs11:token=prod;object=orders"
//	signer: "composite:alg=MLDSA65-ECDSA-P256-SHA512;pq=orders-pq;trad=orders-hsm"
//
// Secrets never stand in the file; name a source (env:NAME, file:PATH).
type Config struct {
	Signer   string                       `yaml:"signer"`
	Backends map[string]map[string]string `yaml:"backends"`
	Keys     map[string]string            `yaml:"keys"`
}

// Load reads and parses the configuration file at path, which must be
// a regular file of at most MaxSize bytes: a named pipe or a device is
// refused at once.
func Load(path string) (*Config, error) {
	data, err := regularfile.ReadFile(path, MaxSize)
	if err != nil {
		return nil, fmt.Errorf("%w: config file %q: %w", provider.ErrInvalidConfig, path, err)
	}
	c, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("config file %q: %w", path, err)
	}
	return c, nil
}

// Parse parses a YAML configuration. Unknown fields are an error.
func Parse(data []byte) (*Config, error) {
	if len(data) > MaxSize {
		return nil, fmt.Errorf("%w: config larger than %d bytes", provider.ErrInvalidConfig, MaxSize)
	}
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: config: %v", provider.ErrInvalidConfig, printable.Error(err))
	}
	if c.Signer != "" {
		if _, err := provider.ParseURI(c.Signer); err != nil {
			return nil, fmt.Errorf("config: signer: %w", err)
		}
	}
	for name, uri := range c.Keys {
		if !provider.ValidAttrName(name) {
			return nil, fmt.Errorf("%w: config: keys: name %q is not lowercase letters, digits and '-'", provider.ErrInvalidConfig, name)
		}
		if _, err := provider.ParseURI(uri); err != nil {
			return nil, fmt.Errorf("config: keys.%s: %w", name, err)
		}
	}
	for scheme, opts := range c.Backends {
		if !provider.ValidScheme(scheme) {
			return nil, fmt.Errorf("%w: config: backends: %q is not a URI scheme", provider.ErrInvalidConfig, scheme)
		}
		for name := range opts {
			if !provider.ValidAttrName(name) {
				return nil, fmt.Errorf("%w: config: backends[%q]: option %q is not lowercase letters, digits and '-'", provider.ErrInvalidConfig, scheme, name)
			}
		}
	}
	return &c, nil
}

// ResolveSigner returns the URI of the active signer: flagURI if it is not
// empty, else the value of TINYWINDOW_SIGNER if set, else the configuration's
// signer. c may be nil. Backend options from c are added to the URI.
func ResolveSigner(flagURI string, c *Config) (*provider.URI, error) {
	raw, from := flagURI, "--signer"
	if raw == "" {
		if v, ok := os.LookupEnv(SignerEnv); ok && v != "" {
			raw, from = v, SignerEnv
		}
	}
	if raw == "" && c != nil {
		raw, from = c.Signer, "config signer"
	}
	if raw == "" {
		return nil, fmt.Errorf("%w: no signer: pass --signer URI, set %s, or set signer in the config file", provider.ErrInvalidConfig, SignerEnv)
	}
	u, err := provider.ParseURI(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", from, err)
	}
	if c != nil {
		opts := c.Backends[u.Scheme]
		names := make([]string, 0, len(opts))
		for name := range opts {
			names = append(names, name)
		}
		slices.Sort(names)
		for _, name := range names {
			if !u.Has(name) {
				u.Query = append(u.Query, provider.Attr{Name: name, Value: opts[name]})
			}
		}
	}
	if c != nil {
		if err := c.resolveKeyRefs(u); err != nil {
			return nil, fmt.Errorf("%s: %w", from, err)
		}
	}
	return u, nil
}

// KeyRef is an attribute of a scheme's URIs that names a key of the
// configuration's Keys. ResolveSigner replaces Name=KEYNAME with
// URIAttr=URI, the named key's URI with the configuration's backend options
// added.
type KeyRef struct {
	Name    string
	URIAttr string
}

var keyRefs sync.Map // scheme -> []KeyRef

// RegisterKeyRefs declares the attributes of URIs of scheme that name keys
// of a configuration file's keys: map. It is meant to be called from the
// init function of a backend that combines keys, such as composite.
func RegisterKeyRefs(scheme string, refs ...KeyRef) {
	keyRefs.Store(scheme, slices.Clone(refs))
}

// resolveKeyRefs replaces the key names of u's registered reference
// attributes by the URIs they name, and adds backend options to the URIs
// that u's reference attributes hold.
func (c *Config) resolveKeyRefs(u *provider.URI) error {
	v, ok := keyRefs.Load(u.Scheme)
	if !ok {
		return nil
	}
	for _, ref := range v.([]KeyRef) {
		name, hasName := u.Get(ref.Name)
		if hasName {
			if u.Has(ref.URIAttr) {
				return fmt.Errorf("%w: %s URI has both %s= and %s=; give one", provider.ErrInvalidConfig, u.Scheme, ref.Name, ref.URIAttr)
			}
			raw, ok := c.Keys[name]
			if !ok {
				return fmt.Errorf("%w: %s URI: %s=%q names no key of the config file's keys: map", provider.ErrInvalidConfig, u.Scheme, ref.Name, name)
			}
			u.Path = slices.DeleteFunc(u.Path, func(a provider.Attr) bool { return a.Name == ref.Name })
			u.Query = slices.DeleteFunc(u.Query, func(a provider.Attr) bool { return a.Name == ref.Name })
			u.Set(ref.URIAttr, raw)
		}
		raw, ok := u.Get(ref.URIAttr)
		if !ok {
			continue
		}
		// A component is never itself a key of a combining scheme: that
		// would let named keys refer to each other without end.
		if scheme, _, _ := strings.Cut(raw, ":"); scheme != "" {
			if _, combining := keyRefs.Load(scheme); combining {
				return fmt.Errorf("%w: %s URI: %s is a %s key, which cannot be a component", provider.ErrInvalidConfig, u.Scheme, ref.URIAttr, scheme)
			}
		}
		// The component URI gets the configuration's backend options as
		// the signer URI does.
		inner, err := ResolveSigner(raw, c)
		if err != nil {
			return fmt.Errorf("%s URI: %s: %w", u.Scheme, ref.URIAttr, err)
		}
		u.Set(ref.URIAttr, inner.String())
	}
	return nil
}
