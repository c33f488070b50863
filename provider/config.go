package provider

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"go.yaml.in/yaml/v3"

	"github.com/tinywindow/tinywindow/internal/printable"
	"github.com/tinywindow/tinywindow/internal/regularfile"
)

// SignerEnv names the environment variable whose value, when set, overrides
// the signer URI of the configuration file.
const SignerEnv = "TINYWINDOW_SIGNER"

// MaxConfigSize bounds the size of a configuration file.
const MaxConfigSize = 1 << 20

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
// Secrets never stand in the file; name a source (env:NAME, file:PATH).
type Config struct {
	Signer   string                       `yaml:"signer"`
	Backends map[string]map[string]string `yaml:"backends"`
}

// LoadConfig reads and parses the configuration file at path, which must be
// a regular file of at most MaxConfigSize bytes: a named pipe or a device is
// refused at once.
func LoadConfig(path string) (*Config, error) {
	data, err := regularfile.ReadFile(path, MaxConfigSize)
	if err != nil {
		return nil, fmt.Errorf("%w: config file %q: %w", ErrInvalidConfig, path, err)
	}
	c, err := ParseConfig(data)
	if err != nil {
		return nil, fmt.Errorf("config file %q: %w", path, err)
	}
	return c, nil
}

// ParseConfig parses a YAML configuration. Unknown fields are an error.
func ParseConfig(data []byte) (*Config, error) {
	if len(data) > MaxConfigSize {
		return nil, fmt.Errorf("%w: config larger than %d bytes", ErrInvalidConfig, MaxConfigSize)
	}
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: config: %v", ErrInvalidConfig, printable.Error(err))
	}
	if c.Signer != "" {
		if _, err := ParseURI(c.Signer); err != nil {
			return nil, fmt.Errorf("config: signer: %w", err)
		}
	}
	for scheme, opts := range c.Backends {
		if !validScheme(scheme) {
			return nil, fmt.Errorf("%w: config: backends: %q is not a URI scheme", ErrInvalidConfig, scheme)
		}
		for name := range opts {
			if !validName(name) {
				return nil, fmt.Errorf("%w: config: backends[%q]: option %q is not lowercase letters, digits and '-'", ErrInvalidConfig, scheme, name)
			}
		}
	}
	return &c, nil
}

// ResolveSigner returns the URI of the active signer: flagURI if it is not
// empty, else the value of TINYWINDOW_SIGNER if set, else the configuration's
// signer. c may be nil. Backend options from c are added to the URI.
func ResolveSigner(flagURI string, c *Config) (*URI, error) {
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
		return nil, fmt.Errorf("%w: no signer: pass --signer URI, set %s, or set signer in the config file", ErrInvalidConfig, SignerEnv)
	}
	u, err := ParseURI(raw)
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
				u.Query = append(u.Query, Attr{Name: name, Value: opts[name]})
			}
		}
	}
	return u, nil
}
