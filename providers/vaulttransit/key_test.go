package vaulttransit_test

import (
	"crypto/ecdsa"
	"crypto/sha256"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tinywindow/tinywindow/internal/testenv"
	"github.com/tinywindow/tinywindow/provider"
)

func TestURIErrors(t *testing.T) {
	t.Setenv("VAULT_ADDR", "")
	for _, tc := range []struct{ uri, want string }{
		{"vault:addr=https://vault:8200", "names no Transit key"},
		{"vault:addr=https://vault:8200;key=a/b", "not a key name"},
		{"vault:key=orders", "set VAULT_ADDR"},
		{"vault:addr=http://vault.example.com:8200;key=orders", "loopback address only"},
		{"vault:addr=ftp://127.0.0.1;key=orders", "https URL"},
		{"vault:addr=https://u:p@vault:8200;key=orders", "not a URL"},
		{"vault:addr=https://vault:8200/v1;key=orders", "not a URL"},
		{"vault:addr=https://vault:8200;mount=/transit;key=orders", "mount="},
		{"vault:addr=https://vault:8200;namespace=a//b;key=orders", "namespace="},
		{"vault:addr=https://vault:8200;key=orders;version=0", "version="},
		{"vault:addr=https://vault:8200;key=orders;version=v2", "version="},
		{"vault:addr=https://vault:8200;key=orders?verify=hsm", "verify="},
		{"vault:addr=https://vault:8200;key=orders?signature-algorithm=pss2", "signature-algorithm="},
		{"vault:addr=https://vault:8200;key=orders?max-attempts=0", "max-attempts="},
		{"vault:addr=https://vault:8200;key=orders?pubkey-ttl=1y", "pubkey-ttl="},
		{"vault:addr=https://vault:8200;key=orders?token=hvs.secret", "env:NAME or file:PATH"},
		{"vault:addr=https://vault:8200;key=orders?token=env:TW_TEST_UNSET_VAR", "not set"},
		{"vault:addr=https://vault:8200;key=orders;region=x", "region"},
	} {
		_, err := provider.Open(t.Context(), tc.uri)
		if !errors.Is(err, provider.ErrInvalidConfig) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Open(%q) = %v; want ErrInvalidConfig mentioning %q", tc.uri, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "hvs.secret") {
			t.Errorf("Open(%q): the error shows the token: %v", tc.uri, err)
		}
	}
}

// TestTokenSources: the token comes from env:, from file: (not readable by
// group or others), or from VAULT_TOKEN; a wrong one is ErrPermissionDenied.
func TestTokenSources(t *testing.T) {
	d := sharedVault()
	dir := t.TempDir()
	good := filepath.Join(dir, "token")
	os.WriteFile(good, []byte(doubleToken+"\n"), 0o600)
	loose := filepath.Join(dir, "loose")
	os.WriteFile(loose, []byte(doubleToken), 0o644)
	base := "vault:addr=" + d.srv.URL + ";key=ecdsa-p256-a"
	t.Setenv("VAULT_TOKEN", doubleToken)
	t.Setenv("TW_WRONG_TOKEN", "hvs.wrong")
	for _, tc := range []struct {
		uri  string
		want error
	}{
		{base, nil},
		{base + "?token=env:TW_TEST_VAULT_TOKEN", nil},
		{base + "?token=file:" + good, nil},
		{base + "?token=file:" + loose, provider.ErrInvalidConfig},
		{base + "?token=env:TW_WRONG_TOKEN", provider.ErrPermissionDenied},
	} {
		k, err := provider.Open(t.Context(), tc.uri)
		if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("Open(%q) = %v, want %v", tc.uri, err, tc.want)
		}
		if err == nil {
			k.Close()
		}
	}
	t.Setenv("VAULT_TOKEN", "")
	if _, err := provider.Open(t.Context(), base); !errors.Is(err, provider.ErrInvalidConfig) {
		t.Errorf("Open without any token: %v, want ErrInvalidConfig", err)
	}
}

// TestNamespace: namespace= sends X-Vault-Namespace; the double, set up
// as a namespace, refuses requests that do not name it.
func TestNamespace(t *testing.T) {
	d := startVault()
	defer d.srv.Close()
	d.namespace = "trading/"
	d.addKey("transit", "ec", "ecdsa-p256")
	t.Setenv("VAULT_NAMESPACE", "")
	k, err := provider.Open(t.Context(), "vault:addr="+d.srv.URL+";namespace=trading/;key=ec?token=env:TW_TEST_VAULT_TOKEN")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.Sign(t.Context(), []byte("m")); err != nil {
		t.Errorf("Sign in namespace trading/: %v", err)
	}
	k.Close()
	_, err = provider.Open(t.Context(), d.uri("ec"))
	testenv.NotInvalid(t, "Open without the namespace", err, provider.ErrPermissionDenied)
}

// TestWireForm: signatures are the bare bytes of Vault's vault:vN:BASE64
// answer, which the standard library verifies, and verify=remote sends
// them back in that form.
func TestWireForm(t *testing.T) {
	d := sharedVault()
	var seen string
	k, err := provider.Open(t.Context(), d.uri("ecdsa-p256-a", "verify=remote"))
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	msg := []byte("order 9")
	sig, err := k.Sign(t.Context(), msg)
	if err != nil {
		t.Fatal(err)
	}
	dg := sha256.Sum256(msg)
	if !ecdsa.VerifyASN1(k.(provider.PublicKeyer).Public().(*ecdsa.PublicKey), dg[:], sig) {
		t.Error("crypto/ecdsa rejects the signature")
	}
	d.setFault(func(r *http.Request, op string) (int, string) {
		if op == "verify" {
			seen = r.URL.Path
		}
		return 0, ""
	})
	defer d.setFault(nil)
	if err := k.Verify(t.Context(), msg, sig); err != nil {
		t.Errorf("remote Verify: %v", err)
	}
	if seen != "/v1/transit/verify/ecdsa-p256-a" {
		t.Errorf("verify went to %q", seen)
	}
}

// TestVersions: a handle signs with the latest version when opened, or
// version=N; after rotation the old version keeps verifying its
// signatures, locally and remotely, until min_decryption_version passes it.
func TestVersions(t *testing.T) {
	d := startVault()
	defer d.srv.Close()
	ctx := t.Context()
	msg := []byte("order 3")
	for _, typ := range []string{"ed25519", "hmac"} {
		for _, verify := range []string{"verify=local", "verify=remote"} {
			key := typ + "-" + strings.TrimPrefix(verify, "verify=")
			d.addKey("transit", key, typ)
			v1, err := provider.Open(ctx, d.uri(key, verify))
			if err != nil {
				t.Fatal(err)
			}
			if v1.Info().Version != "1" {
				t.Errorf("%s: Version = %q, want 1", key, v1.Info().Version)
			}
			sig1, err := v1.Sign(ctx, msg)
			if err != nil {
				t.Fatal(err)
			}
			d.rotateKey("transit", key)
			latest, err := provider.Open(ctx, d.uri(key, verify))
			if err != nil {
				t.Fatal(err)
			}
			if latest.Info().ID == v1.Info().ID {
				t.Errorf("%s: versions share KeyInfo.ID", key)
			}
			sig2, err := latest.Sign(ctx, msg)
			if err != nil {
				t.Fatal(err)
			}
			if err := latest.Verify(ctx, msg, sig1); !errors.Is(err, provider.ErrInvalidSignature) {
				t.Errorf("%s %s: the new version verifying an old signature: %v, want ErrInvalidSignature", key, verify, err)
			}
			if err := v1.Verify(ctx, msg, sig2); !errors.Is(err, provider.ErrInvalidSignature) {
				t.Errorf("%s %s: the old version verifying a new signature: %v, want ErrInvalidSignature", key, verify, err)
			}
			if err := v1.Verify(ctx, msg, sig1); err != nil {
				t.Errorf("%s %s: the old handle after rotation: %v", key, verify, err)
			}
			old, err := provider.Open(ctx, d.uri(key, verify, "version=1"))
			if err != nil {
				t.Fatal(err)
			}
			if old.Info() != v1.Info() {
				t.Errorf("%s: version=1 Info %+v, want %+v", key, old.Info(), v1.Info())
			}
			if err := old.Verify(ctx, msg, sig1); err != nil {
				t.Errorf("%s %s: version=1 after rotation: %v", key, verify, err)
			}
			if sig, err := old.Sign(ctx, msg); err != nil || old.Verify(ctx, msg, sig) != nil || latest.Verify(ctx, msg, sig) == nil {
				t.Errorf("%s %s: version=1 must still sign with version 1: %v", key, verify, err)
			}
			v1.Close()
			latest.Close()
			old.Close()
		}
	}
	_, err := provider.Open(ctx, d.uri("ed25519-local", "version=9"))
	testenv.NotInvalid(t, "Open of a missing version", err, provider.ErrKeyNotFound)
	d.setMinDecrypt("transit", "ed25519-local", 2)
	_, err = provider.Open(ctx, d.uri("ed25519-local", "version=1"))
	testenv.NotInvalid(t, "Open of a version below min_decryption_version", err, provider.ErrKeyNotFound)
}

func TestKeyTypes(t *testing.T) {
	d := startVault()
	defer d.srv.Close()
	d.addKey("transit", "ec", "ecdsa-p256")
	d.mu.Lock()
	d.keys["transit/aes"] = &vaultKey{typ: "aes256-gcm96", minDecrypt: 1, versions: []*vaultVersion{{secret: make([]byte, 32)}}}
	d.mu.Unlock()
	if _, err := provider.Open(t.Context(), d.uri("aes")); !errors.Is(err, provider.ErrUnsupported) {
		t.Errorf("an aes256-gcm96 key: %v, want ErrUnsupported", err)
	}
	if _, err := provider.Open(t.Context(), d.uri("ec", "signature-algorithm=pkcs1v15")); !errors.Is(err, provider.ErrInvalidConfig) {
		t.Errorf("pkcs1v15 on an ECDSA key: %v, want ErrInvalidConfig", err)
	}
}

// TestPublicKeyTTL: the public key is read again once pubkey-ttl has run
// out; a refresh that cannot reach Vault keeps the cached key.
func TestPublicKeyTTL(t *testing.T) {
	d := startVault()
	defer d.srv.Close()
	d.addKey("transit", "ec", "ecdsa-p256")
	ctx := t.Context()
	k, err := provider.Open(ctx, d.uri("ec", "pubkey-ttl=1ns", "max-attempts=1"))
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	sig, err := k.Sign(ctx, []byte("m"))
	if err != nil {
		t.Fatal(err)
	}
	before := d.count("read")
	for range 3 {
		if err := k.Verify(ctx, []byte("m"), sig); err != nil {
			t.Fatal(err)
		}
	}
	if n := d.count("read") - before; n != 3 {
		t.Errorf("%d reads for 3 verifications with pubkey-ttl=1ns, want 3", n)
	}
	d.setFault(func(*http.Request, string) (int, string) { return 503, "Vault is sealed" })
	defer d.setFault(nil)
	if err := k.Verify(ctx, []byte("m"), sig); err != nil {
		t.Errorf("Verify with Vault sealed during the refresh: %v; the cached key must serve", err)
	}
}
