package gcpkms_test

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"

	"cloud.google.com/go/kms/apiv1/kmspb"
	"github.com/tinywindow/tinywindow/internal/testenv"
	"google.golang.org/grpc/codes"

	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/gcpkms"
	"github.com/tinywindow/tinywindow/providers/pqc"
)

const validKey = "projects/tw-test/locations/europe-west2/keyRings/orders/cryptoKeys/signer"

func TestURIErrors(t *testing.T) {
	for _, tc := range []struct {
		uri, want string
	}{
		{"gcpkms:", "names no key"},
		{"gcpkms:key=orders", "not a CryptoKey name"},
		{"gcpkms:key=projects/p/locations/l/keyRings/r/cryptoKeys/k/cryptoKeyVersions/1", "names a key version"},
		{"gcpkms:key=projects/p/locations/l/keyRings/r/cryptoKeys/" + strings.Repeat("k", 64), "not a CryptoKey name"},
		{"gcpkms:key=" + validKey + ";version=0", "version="},
		{"gcpkms:key=" + validKey + ";version=01", "version="},
		{"gcpkms:key=" + validKey + ";version=x", "version="},
		{"gcpkms:key=" + validKey + "?verify=hsm", "verify="},
		{"gcpkms:key=" + validKey + "?max-attempts=0", "max-attempts="},
		{"gcpkms:key=" + validKey + "?max-attempts=11", "max-attempts="},
		{"gcpkms:key=" + validKey + "?max-backoff=2h", "max-backoff="},
		{"gcpkms:key=" + validKey + "?pubkey-ttl=-1s", "pubkey-ttl="},
		{"gcpkms:key=" + validKey + "?endpoint=http://kms.example.com:80", "loopback only"},
		{"gcpkms:key=" + validKey + "?endpoint=http://127.0.0.1", "loopback only"},
		{"gcpkms:key=" + validKey + "?endpoint=ftp://127.0.0.1:21", "endpoint"},
		{"gcpkms:key=" + validKey + "?endpoint=https://u@kms.example.com", "endpoint"},
		{"gcpkms:key=" + validKey + "?endpoint=kms.example.com", "endpoint"},
		{"gcpkms:key=" + validKey + "?region=x", "region"},
	} {
		_, err := provider.Open(t.Context(), tc.uri)
		if !errors.Is(err, provider.ErrInvalidConfig) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Open(%q) = %v; want ErrInvalidConfig mentioning %q", tc.uri, err, tc.want)
		}
	}
}

// TestVersions: without version= the highest enabled version signs and is
// reported; version=N pins a version; after rotation a handle of the old
// version still verifies its signatures, and a reopened handle signs with
// the new version.
func TestVersions(t *testing.T) {
	d, stop := startDouble()
	defer stop()
	key := d.addKey("rot", kmspb.CryptoKeyVersion_EC_SIGN_P256_SHA256)
	ctx := t.Context()
	msg := []byte("order 7")
	v1, err := provider.Open(ctx, d.uri(key))
	if err != nil {
		t.Fatal(err)
	}
	defer v1.Close()
	if got, want := v1.Info().Version, key+"/cryptoKeyVersions/1"; got != want {
		t.Fatalf("Version = %q, want %q", got, want)
	}
	sig1, err := v1.Sign(ctx, msg)
	if err != nil {
		t.Fatal(err)
	}

	v2name := d.addVersion(key)
	d.addVersion(key)
	d.setState(key+"/cryptoKeyVersions/3", kmspb.CryptoKeyVersion_DISABLED)
	latest, err := provider.Open(ctx, d.uri(key))
	if err != nil {
		t.Fatal(err)
	}
	defer latest.Close()
	if got := latest.Info().Version; got != v2name {
		t.Errorf("after rotation Version = %q, want the highest enabled %q", got, v2name)
	}
	if latest.Info().ID == v1.Info().ID {
		t.Error("versions 1 and 2 have the same KeyInfo.ID")
	}
	if err := latest.Verify(ctx, msg, sig1); !errors.Is(err, provider.ErrInvalidSignature) {
		t.Errorf("version 2 verifying a version 1 signature: %v, want ErrInvalidSignature", err)
	}
	old, err := provider.Open(ctx, d.uri(key+";version=1"))
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	if old.Info() != v1.Info() {
		t.Errorf("version=1 Info %+v, want %+v", old.Info(), v1.Info())
	}
	if err := old.Verify(ctx, msg, sig1); err != nil {
		t.Errorf("version=1 after rotation: %v", err)
	}
	_, err = provider.Open(ctx, d.uri(key+";version=3"))
	testenv.NotInvalid(t, "Open of a disabled version", err, provider.ErrUnavailable)
	_, err = provider.Open(ctx, d.uri(key+";version=9"))
	testenv.NotInvalid(t, "Open of a missing version", err, provider.ErrKeyNotFound)
	_, err = provider.Open(ctx, d.uri(testRing+"/cryptoKeys/missing"))
	testenv.NotInvalid(t, "Open of a missing key", err, provider.ErrKeyNotFound)
	d.setState(key+"/cryptoKeyVersions/1", kmspb.CryptoKeyVersion_DISABLED)
	d.setState(v2name, kmspb.CryptoKeyVersion_DISABLED)
	_, err = provider.Open(ctx, d.uri(key))
	testenv.NotInvalid(t, "Open of a key without enabled versions", err, provider.ErrKeyNotFound)
	_, err = v1.Sign(ctx, msg)
	testenv.NotInvalid(t, "Sign with a version disabled under the handle", err, provider.ErrUnavailable)
}

// TestPublicKeyTTL: the public key is fetched again once pubkey-ttl has run
// out, and never with pubkey-ttl=0s; a refresh that cannot reach the
// service keeps the cached key.
func TestPublicKeyTTL(t *testing.T) {
	d, stop := startDouble()
	defer stop()
	key := d.addKey("ed", kmspb.CryptoKeyVersion_EC_SIGN_ED25519)
	ctx := t.Context()
	for _, tc := range []struct {
		ttl     string
		fetches int
	}{{"0s", 0}, {"1ns", 3}} {
		k, err := provider.Open(ctx, d.uri(key, "pubkey-ttl="+tc.ttl))
		if err != nil {
			t.Fatal(err)
		}
		sig, err := k.Sign(ctx, []byte("m"))
		if err != nil {
			t.Fatal(err)
		}
		before := d.count("GetPublicKey")
		for range 3 {
			if err := k.Verify(ctx, []byte("m"), sig); err != nil {
				t.Fatal(err)
			}
		}
		if n := d.count("GetPublicKey") - before; n != tc.fetches {
			t.Errorf("pubkey-ttl=%s: %d GetPublicKey calls for 3 verifications, want %d", tc.ttl, n, tc.fetches)
		}
		k.Close()
	}
	k, err := provider.Open(ctx, d.uri(key, "pubkey-ttl=1ns", "max-attempts=1"))
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	sig, _ := k.Sign(ctx, []byte("m"))
	d.setFault(failWith(codes.Unavailable))
	defer d.setFault(nil)
	if err := k.Verify(ctx, []byte("m"), sig); err != nil {
		t.Errorf("Verify with the refresh failing: %v; the cached key must serve", err)
	}
	pub := k.(provider.PublicKeyer).Public().(ed25519.PublicKey)
	if !ed25519.Verify(pub, []byte("m"), sig) {
		t.Error("crypto/ed25519 rejects the signature")
	}
}

// TestVerifyRemoteAsymmetric: Cloud KMS cannot verify asymmetric
// signatures, so verify=remote on such a key is refused at open.
func TestVerifyRemoteAsymmetric(t *testing.T) {
	d := sharedDouble()
	_, err := provider.Open(t.Context(), d.uri(testRing+"/cryptoKeys/p256-a", "verify=remote"))
	if !errors.Is(err, provider.ErrUnsupported) {
		t.Errorf("verify=remote on an EC key: %v, want ErrUnsupported", err)
	}
}

// TestExternalMu: an _EXTERNAL_MU version is sent the FIPS 204 mu of the
// message (checked by the double against the test's own mu), for messages
// of any size, and the signature verifies as plain ML-DSA.
func TestExternalMu(t *testing.T) {
	d, stop := startDouble()
	defer stop()
	for _, alg := range []kmspb.CryptoKeyVersion_CryptoKeyVersionAlgorithm{
		kmspb.CryptoKeyVersion_PQ_SIGN_ML_DSA_44_EXTERNAL_MU,
		kmspb.CryptoKeyVersion_PQ_SIGN_ML_DSA_65_EXTERNAL_MU,
		kmspb.CryptoKeyVersion_PQ_SIGN_ML_DSA_87_EXTERNAL_MU,
	} {
		t.Run(alg.String(), func(t *testing.T) {
			key := d.addKey(strings.ToLower(strings.ReplaceAll(alg.String(), "_", "-")), alg)
			k, err := provider.Open(t.Context(), d.uri(key))
			if err != nil {
				t.Fatal(err)
			}
			defer k.Close()
			pemBytes, err := k.(provider.PublicKeyPEMer).PublicKeyPEM()
			if err != nil {
				t.Fatal(err)
			}
			_, raw, err := pqc.ParsePublicKeyPEM(pemBytes)
			if err != nil {
				t.Fatal(err)
			}
			big := bytes.Repeat([]byte{0xa5}, 1<<20)
			for _, msg := range [][]byte{nil, []byte("order"), big} {
				d.allow(raw, msg)
				sig, err := k.Sign(t.Context(), msg)
				if err != nil {
					t.Fatalf("Sign of %d bytes: %v", len(msg), err)
				}
				v, err := pqc.NewVerifier(pemBytes, pqc.Options{})
				if err != nil {
					t.Fatal(err)
				}
				if err := v.Verify(t.Context(), msg, sig); err != nil {
					t.Errorf("providers/pqc rejects the %d-byte message's signature: %v", len(msg), err)
				}
				if err := k.Verify(t.Context(), msg, sig); err != nil {
					t.Errorf("Verify: %v", err)
				}
			}
			// A message the test did not allow: the double refuses the mu.
			_, err = k.Sign(t.Context(), []byte("not allowed"))
			testenv.NotInvalid(t, "Sign of a mu the double cannot sign", err, provider.ErrInvalidConfig)
		})
	}
}

// TestDataLimit: keys that send the message itself refuse one over 64 KiB
// before any call.
func TestDataLimit(t *testing.T) {
	d := sharedDouble()
	for _, id := range []string{"ed25519-a", "mldsa44-a", "hmac-a"} {
		k, err := provider.Open(t.Context(), d.uri(testRing+"/cryptoKeys/"+id))
		if err != nil {
			t.Fatal(err)
		}
		before := d.count("AsymmetricSign") + d.count("MacSign")
		_, err = k.Sign(t.Context(), make([]byte, gcpkms.DataLimit+1))
		testenv.NotInvalid(t, id+" Sign over the limit", err, provider.ErrUnsupported)
		if d.count("AsymmetricSign")+d.count("MacSign") != before {
			t.Errorf("%s: a message over the limit reached the service", id)
		}
		if _, err := k.Sign(t.Context(), make([]byte, gcpkms.DataLimit)); err != nil {
			t.Errorf("%s: Sign of exactly %d bytes: %v", id, gcpkms.DataLimit, err)
		}
		k.Close()
	}
}
