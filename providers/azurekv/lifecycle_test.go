package azurekv_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/azurekv"
)

// TestChallengeAndCache checks the bearer challenge (one unauthenticated
// request, then one token for the vault's scope) and that the key is fetched
// once: signing and local verification make no further GetKey.
func TestChallengeAndCache(t *testing.T) {
	v := startVault()
	defer v.Close()
	k, err := azurekv.OpenWithOptions(t.Context(), v.uri("p256"), v.options())
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	for i := range 10 {
		msg := []byte{byte(i)}
		sig, err := k.Sign(t.Context(), msg)
		if err != nil {
			t.Fatal(err)
		}
		if err := k.Verify(t.Context(), msg, sig); err != nil {
			t.Fatal(err)
		}
	}
	if n := v.count("unauthenticated"); n != 1 {
		t.Errorf("%d unauthenticated requests, want 1 (the challenge)", n)
	}
	if n := v.cred.calls.Load(); n != 1 {
		t.Errorf("credential asked %d times, want 1", n)
	}
	if !slices.Equal(v.cred.scopes, []string{vaultScope}) {
		t.Errorf("credential asked for scopes %q, want %q", v.cred.scopes, vaultScope)
	}
	if got := [3]int{v.count("get"), v.count("sign"), v.count("verify")}; got != [3]int{1, 10, 0} {
		t.Errorf("get, sign, verify requests %v, want [1 10 0]", got)
	}
}

// TestVersion checks that KeyInfo.Version is the version the signatures are
// made with, whether the URI pins it or not.
func TestVersion(t *testing.T) {
	v := startVault()
	defer v.Close()
	v1 := v.latest("p256")
	v2 := v.addVersion("p256", loadKey("p256-other"))
	for _, c := range []struct {
		name, uri, want string
		pub             string
	}{
		{"latest", v.uri("p256"), v2, "p256-other"},
		{"pinned old version", v.uri("p256", "version="+v1), v1, "p256"},
		{"pinned latest", v.uri("p256", "version="+v2), v2, "p256-other"},
	} {
		t.Run(c.name, func(t *testing.T) {
			k, err := azurekv.OpenWithOptions(t.Context(), c.uri, v.options())
			if err != nil {
				t.Fatal(err)
			}
			defer k.Close()
			if got := k.Info().Version; got != c.want {
				t.Fatalf("Info().Version %s, want %s", got, c.want)
			}
			if !k.Public().(*ecdsa.PublicKey).Equal(loadKey(c.pub).Public()) {
				t.Fatalf("Public() is not the public key of version %s", c.want)
			}
			if _, err := k.Sign(t.Context(), []byte("m")); err != nil {
				t.Fatal(err)
			}
			v.mu.Lock()
			last := v.signVersions[len(v.signVersions)-1]
			v.mu.Unlock()
			if last != c.want {
				t.Fatalf("signed with version %q, want %s", last, c.want)
			}
		})
	}
	_, err := azurekv.OpenWithOptions(t.Context(), v.uri("p256", "version=00000000000000000000000000000bad"), v.options())
	if !errors.Is(err, provider.ErrKeyNotFound) {
		t.Fatalf("unknown version: %v, want ErrKeyNotFound", err)
	}
}

// TestRotation checks the cache TTL: an unpinned handle follows a new
// version once its cache expires, a failed refresh keeps the cached version.
func TestRotation(t *testing.T) {
	v := startVault()
	defer v.Close()
	v.addVersion("rot", loadKey("p256"))
	k, err := azurekv.OpenWithOptions(t.Context(), v.uri("rot", "cache-ttl=50ms"), v.options())
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	first := k.Info()
	v2 := v.addVersion("rot", loadKey("p256-other"))
	if k.Info() != first {
		t.Fatal("Info changed before the cache expired")
	}
	time.Sleep(60 * time.Millisecond)
	msg := []byte("after rotation")
	sig, err := k.Sign(t.Context(), msg)
	if err != nil {
		t.Fatal(err)
	}
	if got := k.Info(); got.Version != v2 || got.ID == first.ID {
		t.Fatalf("after the TTL, Info %+v; want version %s and a new ID", got, v2)
	}
	other := loadKey("p256-other").Public().(*ecdsa.PublicKey)
	if !ecdsa.VerifyASN1(other, hashMsg(crypto.SHA256, msg), sig) {
		t.Fatal("the signature after rotation does not verify with the new version's key")
	}
	if n := v.count("get"); n != 2 {
		t.Fatalf("%d GetKey requests, want 2", n)
	}

	// A refresh that fails keeps the cached key and version.
	time.Sleep(60 * time.Millisecond)
	v.inject(fault{op: "get", status: 503, code: "ServiceUnavailable"}, fault{op: "get", status: 503, code: "ServiceUnavailable"},
		fault{op: "get", status: 503, code: "ServiceUnavailable"}, fault{op: "get", status: 503, code: "ServiceUnavailable"})
	if _, err := k.Sign(t.Context(), msg); err != nil {
		t.Fatalf("Sign while the refresh fails: %v", err)
	}
	if got := k.Info().Version; got != v2 {
		t.Fatalf("after a failed refresh, version %s, want %s", got, v2)
	}
}

// TestRSASignaturesUnchanged checks that RSA signatures are the vault's
// bytes: RS256 is deterministic, so ours equal crypto/rsa's.
func TestRSASignaturesUnchanged(t *testing.T) {
	v := startVault()
	defer v.Close()
	k, err := azurekv.OpenWithOptions(t.Context(), v.uri("rsa2048", "alg=RSA-PKCS1-SHA256"), v.options())
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	msg := []byte("order 42")
	sig, err := k.Sign(t.Context(), msg)
	if err != nil {
		t.Fatal(err)
	}
	d := sha256.Sum256(msg)
	want, err := rsa.SignPKCS1v15(nil, loadKey("rsa2048").(*rsa.PrivateKey), crypto.SHA256, d[:])
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(sig, want) {
		t.Fatalf("RS256 signature differs from crypto/rsa's")
	}
}

// TestKeyOpsWithoutSign checks that a key whose key_ops leave out sign is
// refused without a sign request, and still verifies.
func TestKeyOpsWithoutSign(t *testing.T) {
	v := startVault()
	defer v.Close()
	v.addVersion("verify-only", loadKey("p256"))
	v.mu.Lock()
	v.keys["verify-only"].ops = []string{"verify"}
	v.mu.Unlock()
	k, err := azurekv.OpenWithOptions(t.Context(), v.uri("verify-only"), v.options())
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	if _, err := k.Sign(t.Context(), []byte("m")); !errors.Is(err, provider.ErrUnsupported) {
		t.Fatalf("Sign: %v, want ErrUnsupported", err)
	}
	if n := v.count("sign"); n != 0 {
		t.Fatalf("%d sign requests, want 0", n)
	}
}
