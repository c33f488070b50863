package azurekv

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/tinywindow/tinywindow/provider"
)

// DefaultCacheTTL is how long a key's public key and version stay cached when
// the URI sets no cache-ttl.
const DefaultCacheTTL = 10 * time.Minute

// VerifyMode says where signatures are checked.
type VerifyMode string

// The verification modes.
const (
	// VerifyLocal checks signatures in process with the cached public key.
	VerifyLocal VerifyMode = "local"
	// VerifyRemote sends each verification to the vault's verify operation.
	VerifyRemote VerifyMode = "remote"
)

// Config names one Key Vault key and how to use it. The zero values of the
// optional fields mean: the latest version, the algorithm implied by the
// key's curve (an RSA key needs Algorithm), DefaultCacheTTL and VerifyLocal.
type Config struct {
	// Vault is the vault's URL: https://NAME.vault.azure.net for Key Vault,
	// https://NAME.managedhsm.azure.net for Managed HSM (or the URL of a
	// sovereign cloud). It must be https, with no path, query or fragment.
	Vault string
	// Name is the key's name: 1 to 127 letters, digits and '-'.
	Name string
	// Version pins one version of the key; empty means the latest version,
	// resolved when the key is opened and again when the cache expires.
	Version string
	// Algorithm is the signature algorithm. EC keys imply theirs (P-256:
	// ECDSA-P256-SHA256, P-384: ECDSA-P384-SHA384); an RSA key needs
	// RSA-PSS-SHA256 (Azure's PS256) or RSA-PKCS1-SHA256 (RS256).
	Algorithm provider.Algorithm
	// CacheTTL is how long the public key and resolved version are trusted
	// before GetKey is called again. Zero means DefaultCacheTTL; a negative
	// value means for the life of the handle.
	CacheTTL time.Duration
	// Verify says where signatures are checked; empty means VerifyLocal.
	Verify VerifyMode
}

// uriAttrs are the attributes an azurekv URI may carry.
var uriAttrs = []string{"vault", "name", "version", "alg", "verify", "cache-ttl"}

// ParseURI parses an azurekv key URI into a Config and validates it:
//
//	azurekv:vault=URL;name=NAME[;version=V][;alg=ALG][?verify=local|remote][&cache-ttl=DURATION]
//
// Every attribute may stand in the path or the query. cache-ttl is a Go
// duration ("10m", "1h"), or "forever".
func ParseURI(uri string) (Config, error) {
	u, err := provider.ParseURI(uri)
	if err != nil {
		return Config{}, err
	}
	return configFromURI(u)
}

func configFromURI(u *provider.URI) (Config, error) {
	if err := u.Check(Scheme, uriAttrs...); err != nil {
		return Config{}, err
	}
	var c Config
	c.Vault, _ = u.Get("vault")
	c.Name, _ = u.Get("name")
	if v, ok := u.Get("version"); ok {
		if v == "" {
			return Config{}, fmt.Errorf("%w: azurekv URI: empty version; leave version out for the latest version", provider.ErrInvalidConfig)
		}
		c.Version = v
	}
	if a, ok := u.Get("alg"); ok {
		alg, err := provider.ParseAlgorithm(a)
		if err != nil {
			return Config{}, fmt.Errorf("azurekv URI: alg: %w (Azure's ES256, ES384, PS256 and RS256 are %s, %s, %s and %s)",
				err, provider.ECDSAP256SHA256, provider.ECDSAP384SHA384, provider.RSAPSSSHA256, provider.RSAPKCS1SHA256)
		}
		c.Algorithm = alg
	}
	if v, ok := u.Get("verify"); ok {
		c.Verify = VerifyMode(v)
	}
	if v, ok := u.Get("cache-ttl"); ok {
		if v == "forever" {
			c.CacheTTL = -1
		} else {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return Config{}, fmt.Errorf("%w: azurekv URI: cache-ttl %q is not a positive duration such as 10m or 1h, nor \"forever\"", provider.ErrInvalidConfig, v)
			}
			c.CacheTTL = d
		}
	}
	return c, c.validate()
}

// validate checks c and fills in its defaults.
func (c *Config) validate() error {
	if err := checkVault(c.Vault); err != nil {
		return err
	}
	if c.Name == "" {
		return fmt.Errorf("%w: azurekv: no key name; add name=NAME (the key's name in the vault)", provider.ErrInvalidConfig)
	}
	if !validKeyName(c.Name) {
		return fmt.Errorf("%w: azurekv: key name %q is not 1 to 127 letters, digits and '-'", provider.ErrInvalidConfig, c.Name)
	}
	if c.Version != "" && !validVersion(c.Version) {
		return fmt.Errorf("%w: azurekv: key version %q is not 1 to 64 letters and digits (Key Vault versions are 32 hex digits)", provider.ErrInvalidConfig, c.Version)
	}
	if c.Algorithm != "" {
		if _, ok := azureAlgorithm(c.Algorithm); !ok {
			return fmt.Errorf("%w: azurekv signs with %s, %s, %s or %s, not %s",
				provider.ErrUnsupported, provider.ECDSAP256SHA256, provider.ECDSAP384SHA384, provider.RSAPSSSHA256, provider.RSAPKCS1SHA256, c.Algorithm)
		}
	}
	if c.Verify == "" {
		c.Verify = VerifyLocal
	}
	if _, err := provider.ParseVerifyMode(Scheme, string(c.Verify), "the vault's verify operation"); err != nil {
		return err
	}
	if c.CacheTTL == 0 {
		c.CacheTTL = DefaultCacheTTL
	}
	return nil
}

// checkVault accepts an https URL of a host, with no user, path, query or
// fragment: what Key Vault and Managed HSM give as a vault URI.
func checkVault(vault string) error {
	if vault == "" {
		return fmt.Errorf("%w: azurekv: no vault; add vault=https://NAME.vault.azure.net (or a Managed HSM URL)", provider.ErrInvalidConfig)
	}
	u, err := url.Parse(vault)
	if err != nil {
		return fmt.Errorf("%w: azurekv: vault %q is not a URL: %w", provider.ErrInvalidConfig, vault, err)
	}
	switch {
	case u.Scheme != "https":
		return fmt.Errorf("%w: azurekv: vault %q is not an https URL; write vault=https://NAME.vault.azure.net (Key Vault refuses plain HTTP)", provider.ErrInvalidConfig, vault)
	case u.Host == "" || u.Hostname() == "":
		return fmt.Errorf("%w: azurekv: vault %q has no host; write vault=https://NAME.vault.azure.net", provider.ErrInvalidConfig, vault)
	case u.User != nil:
		return fmt.Errorf("%w: azurekv: vault %q carries user information; credentials come from the Azure environment, never the URL", provider.ErrInvalidConfig, vault)
	case strings.Trim(u.Path, "/") != "" || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		return fmt.Errorf("%w: azurekv: vault %q has a path, query or fragment; give the vault's base URL only, such as https://NAME.vault.azure.net, and the key in name=", provider.ErrInvalidConfig, vault)
	}
	return nil
}

func validKeyName(s string) bool {
	if len(s) > 127 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return s != ""
}

func validVersion(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
