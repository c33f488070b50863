package azurekv_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"strings"
	"testing"

	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/azurekv"
)

// TestBadURIs checks that malformed URIs fail before any request, through
// ParseURI and through the registry, with an error that names the problem.
func TestBadURIs(t *testing.T) {
	for _, c := range []struct {
		name, uri string
		want      error
		says      string
	}{
		{"http vault", "azurekv:vault=http://orders.vault.azure.net;name=k", provider.ErrInvalidConfig, "not an https URL"},
		{"no scheme in vault", "azurekv:vault=orders.vault.azure.net;name=k", provider.ErrInvalidConfig, "not an https URL"},
		{"ftp vault", "azurekv:vault=ftp://orders.vault.azure.net;name=k", provider.ErrInvalidConfig, "not an https URL"},
		{"vault without host", "azurekv:vault=https://;name=k", provider.ErrInvalidConfig, "no host"},
		{"vault with path", "azurekv:vault=https://orders.vault.azure.net/keys/k;name=k", provider.ErrInvalidConfig, "path, query or fragment"},
		{"vault with user", "azurekv:vault=https://me@orders.vault.azure.net;name=k", provider.ErrInvalidConfig, "user information"},
		{"missing vault", "azurekv:name=k", provider.ErrInvalidConfig, "no vault"},
		{"missing name", "azurekv:vault=https://orders.vault.azure.net", provider.ErrInvalidConfig, "add name=NAME"},
		{"empty name", "azurekv:vault=https://orders.vault.azure.net;name=", provider.ErrInvalidConfig, "add name=NAME"},
		{"bad name", "azurekv:vault=https://orders.vault.azure.net;name=a/b", provider.ErrInvalidConfig, "letters, digits and '-'"},
		{"empty version", "azurekv:vault=https://orders.vault.azure.net;name=k;version=", provider.ErrInvalidConfig, "empty version"},
		{"bad version", "azurekv:vault=https://orders.vault.azure.net;name=k;version=../x", provider.ErrInvalidConfig, "key version"},
		{"unknown attribute", "azurekv:vault=https://orders.vault.azure.net;name=k;region=eu", provider.ErrInvalidConfig, "unknown attribute \"region\""},
		{"bad verify", "azurekv:vault=https://orders.vault.azure.net;name=k?verify=both", provider.ErrInvalidConfig, "verify=remote"},
		{"bad cache-ttl", "azurekv:vault=https://orders.vault.azure.net;name=k?cache-ttl=soon", provider.ErrInvalidConfig, "cache-ttl"},
		{"negative cache-ttl", "azurekv:vault=https://orders.vault.azure.net;name=k?cache-ttl=-1s", provider.ErrInvalidConfig, "cache-ttl"},
		{"Azure algorithm name", "azurekv:vault=https://orders.vault.azure.net;name=k;alg=ES256", provider.ErrUnsupported, "ECDSA-P256-SHA256"},
		{"algorithm the vault lacks", "azurekv:vault=https://orders.vault.azure.net;name=k;alg=Ed25519", provider.ErrUnsupported, "not Ed25519"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := azurekv.ParseURI(c.uri)
			if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.says) {
				t.Errorf("ParseURI: %v; want %v saying %q", err, c.want, c.says)
			}
			_, err = provider.Open(t.Context(), c.uri)
			if !errors.Is(err, c.want) {
				t.Errorf("provider.Open: %v; want %v", err, c.want)
			}
		})
	}
}

func TestParseURI(t *testing.T) {
	cfg, err := azurekv.ParseURI("azurekv:vault=https://orders.vault.azure.net;name=orders-1;version=0123456789abcdef0123456789abcdef;alg=RSA-PSS-SHA256?verify=remote&cache-ttl=1h")
	if err != nil {
		t.Fatal(err)
	}
	want := azurekv.Config{Vault: "https://orders.vault.azure.net", Name: "orders-1", Version: "0123456789abcdef0123456789abcdef",
		Algorithm: provider.RSAPSSSHA256, Verify: azurekv.VerifyRemote, CacheTTL: 3600e9}
	if cfg != want {
		t.Fatalf("ParseURI = %+v, want %+v", cfg, want)
	}
	cfg, err = azurekv.ParseURI("azurekv:vault=https://orders.managedhsm.azure.net/;name=k?cache-ttl=forever")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Verify != azurekv.VerifyLocal || cfg.CacheTTL >= 0 {
		t.Fatalf("defaults: %+v, want local verification and a negative (unlimited) TTL", cfg)
	}
}

// TestUnsupportedKeys checks keys the vault holds but azurekv cannot use, or
// cannot use as the URI says.
func TestUnsupportedKeys(t *testing.T) {
	v := startVault()
	defer v.Close()
	v.addOctKey("aes")
	p521, err := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	v.addVersion("p521", p521)
	rsa1024, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	v.addVersion("rsa1024", rsa1024)
	for _, c := range []struct {
		name, uri string
		want      error
		says      string
	}{
		{"octet key", v.uri("aes"), provider.ErrUnsupported, "octet (symmetric) key"},
		{"P-521 key", v.uri("p521"), provider.ErrUnsupported, "P-521"},
		{"RSA-1024 key", v.uri("rsa1024", "alg=RSA-PSS-SHA256"), provider.ErrUnsupported, "1024 bits"},
		{"RSA key without alg", v.uri("rsa2048"), provider.ErrInvalidConfig, "alg=RSA-PSS-SHA256"},
		{"RSA key with an ECDSA alg", v.uri("rsa2048", "alg=ECDSA-P256-SHA256"), provider.ErrInvalidConfig, "RSA key"},
		{"P-256 key with the P-384 alg", v.uri("p256", "alg=ECDSA-P384-SHA384"), provider.ErrInvalidConfig, "not alg=ECDSA-P384-SHA384"},
		{"P-256 key with an RSA alg", v.uri("p256", "alg=RSA-PSS-SHA256"), provider.ErrInvalidConfig, "EC key on P-256"},
	} {
		_, err := azurekv.OpenWithOptions(t.Context(), c.uri, v.options())
		if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s: Open %v; want %v saying %q", c.name, err, c.want, c.says)
		}
	}
}

// TestBadSignatures checks that signatures of the wrong size or encoding are
// invalid, with a message that says so, and never reach the vault.
func TestBadSignatures(t *testing.T) {
	v := startVault()
	defer v.Close()
	msg := []byte("order")
	for _, c := range []struct {
		name, key, alg string
		sig            func(good []byte) []byte
		says           string
	}{
		{"RSA signature one byte short", "rsa2048", "alg=RSA-PSS-SHA256", func(g []byte) []byte { return g[:255] }, "is 255 bytes; this key's signatures are exactly 256"},
		{"RSA signature one byte long", "rsa2048", "alg=RSA-PKCS1-SHA256", func(g []byte) []byte { return append(g, 0) }, "is 257 bytes"},
		{"ECDSA signature too long", "p256", "", func(g []byte) []byte { return make([]byte, 200) }, "a DER signature of this key is 8 to 72 bytes"},
		{"ECDSA signature too short", "p384", "", func(g []byte) []byte { return g[:5] }, "8 to 104 bytes"},
		{"raw r‖s instead of DER", "p256", "", func(g []byte) []byte { return rawFromDERForTest(g, 32) }, "raw r‖s"},
		{"DER missing its last byte", "p384", "", func(g []byte) []byte { return g[:len(g)-1] }, "not a DER SEQUENCE"},
	} {
		for _, mode := range []string{"verify=local", "verify=remote"} {
			extra := []string{mode}
			if c.alg != "" {
				extra = append(extra, c.alg)
			}
			k, err := azurekv.OpenWithOptions(t.Context(), v.uri(c.key, extra...), v.options())
			if err != nil {
				t.Fatal(err)
			}
			good, err := k.Sign(t.Context(), msg)
			if err != nil {
				t.Fatal(err)
			}
			before := v.count("verify")
			err = k.Verify(t.Context(), msg, c.sig(good))
			if !errors.Is(err, provider.ErrInvalidSignature) || !strings.Contains(err.Error(), c.says) {
				t.Errorf("%s, %s: Verify %v; want ErrInvalidSignature saying %q", c.name, mode, err, c.says)
			}
			if n := v.count("verify"); n != before {
				t.Errorf("%s, %s: the malformed signature went to the vault", c.name, mode)
			}
			k.Close()
		}
	}
}

// rawFromDERForTest is r‖s of a DER ECDSA signature.
func rawFromDERForTest(der []byte, size int) []byte { return rawSig(der, size) }

func TestSignDigestOptions(t *testing.T) {
	v := startVault()
	defer v.Close()
	open := func(name string, extra ...string) *azurekv.Key {
		k, err := azurekv.OpenWithOptions(t.Context(), v.uri(name, extra...), v.options())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { k.Close() })
		return k
	}
	p256, pss, pkcs1 := open("p256"), open("rsa2048", "alg=RSA-PSS-SHA256"), open("rsa2048", "alg=RSA-PKCS1-SHA256")
	d := sha256.Sum256([]byte("order"))
	for _, c := range []struct {
		name   string
		k      *azurekv.Key
		digest []byte
		opts   crypto.SignerOpts
		want   error
	}{
		{"P-256 with SHA-256", p256, d[:], crypto.SHA256, nil},
		{"P-256 with SHA-384", p256, make([]byte, 48), crypto.SHA384, provider.ErrUnsupported},
		{"P-256 with nil options", p256, d[:], nil, provider.ErrInvalidConfig}, // as in every backend (internal/stdverify.CheckSignerOpts),
		{"P-256 with a short digest", p256, d[:31], crypto.SHA256, provider.ErrInvalidConfig},
		{"PSS with salt = hash", pss, d[:], &rsa.PSSOptions{Hash: crypto.SHA256, SaltLength: rsa.PSSSaltLengthEqualsHash}, nil},
		{"PSS with plain hash options", pss, d[:], crypto.SHA256, provider.ErrUnsupported},
		{"PSS with a 20-byte salt", pss, d[:], &rsa.PSSOptions{Hash: crypto.SHA256, SaltLength: 20}, provider.ErrUnsupported},
		{"PKCS #1 v1.5 with SHA-256", pkcs1, d[:], crypto.SHA256, nil},
		{"PKCS #1 v1.5 with PSS options", pkcs1, d[:], &rsa.PSSOptions{Hash: crypto.SHA256}, provider.ErrUnsupported},
	} {
		_, err := c.k.SignDigest(t.Context(), c.digest, c.opts)
		if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
			t.Errorf("%s: SignDigest %v, want %v", c.name, err, c.want)
		}
	}
}

func TestRegistered(t *testing.T) {
	b, ok := provider.Lookup(azurekv.Scheme)
	if !ok {
		t.Fatal("scheme azurekv is not registered")
	}
	if len(b.Algorithms) != 4 || b.Description == "" {
		t.Fatalf("registered backend %+v", b)
	}
}
