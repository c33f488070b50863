package awskms_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/awskms"
	"github.com/tinywindow/tinywindow/providers/hmac"
)

// TestHMACMatchesMVP proves that a KMS HMAC_256 key holding the MVP's key for
// seed 42 makes the same tags as the hmac backend's hmac:seed=42, and that
// each side accepts the other's tags.
func TestHMACMatchesMVP(t *testing.T) {
	l := needKMS(t)
	ctx := t.Context()
	kmsKey, err := provider.Open(ctx, l.URI("alias/tw-hmac-mvp42"))
	if err != nil {
		t.Fatal(err)
	}
	defer kmsKey.Close()
	mvp := hmac.NewFromSeed(42)
	defer mvp.Close()
	for _, msg := range [][]byte{
		[]byte("x"),
		[]byte(`{"side":"buy","qty":100,"px":"101.25","sym":"ACME"}`),
		bytes.Repeat([]byte{0xa5}, awskms.RawMessageLimit),
	} {
		want, err := mvp.Sign(ctx, msg)
		if err != nil {
			t.Fatal(err)
		}
		got, err := kmsKey.Sign(ctx, msg)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("%d-byte message: KMS tag %x, hmac backend tag %x", len(msg), got, want)
		}
		if err := kmsKey.Verify(ctx, msg, want); err != nil {
			t.Errorf("KMS VerifyMac rejects the hmac backend's tag: %v", err)
		}
		if err := mvp.Verify(ctx, msg, got); err != nil {
			t.Errorf("hmac backend rejects the KMS tag: %v", err)
		}
	}
}

// TestECDSAExportedKey checks KMS's ECDSA signatures with ecdsa.VerifyASN1 on
// the exported PEM key, and that the exported key is the seeded one.
func TestECDSAExportedKey(t *testing.T) {
	l := needKMS(t)
	ctx := t.Context()
	for _, tc := range []struct {
		alias, pemFile string
		hash           crypto.Hash
	}{
		{"alias/tw-p256-a", "p256-a.pem", crypto.SHA256},
		{"alias/tw-p384-a", "p384-a.pem", crypto.SHA384},
	} {
		t.Run(tc.alias, func(t *testing.T) {
			k, err := provider.Open(ctx, l.URI(tc.alias))
			if err != nil {
				t.Fatal(err)
			}
			defer k.Close()
			data, err := k.(provider.PublicKeyPEMer).PublicKeyPEM()
			if err != nil {
				t.Fatal(err)
			}
			block, _ := pem.Decode(data)
			if block == nil || block.Type != "PUBLIC KEY" {
				t.Fatalf("PublicKeyPEM gave no PUBLIC KEY block: %q", data)
			}
			parsed, err := x509.ParsePKIXPublicKey(block.Bytes)
			if err != nil {
				t.Fatal(err)
			}
			pub := parsed.(*ecdsa.PublicKey)
			seeded := readECKey(t, tc.pemFile)
			if !pub.Equal(&seeded.PublicKey) {
				t.Fatal("the exported public key is not the seeded key's")
			}
			if got := k.Info().ID; got != provider.KeyIDFromPublic(block.Bytes) {
				t.Errorf("Info().ID = %s, want KeyIDFromPublic of the SPKI", got)
			}
			msg := bytes.Repeat([]byte("order "), 2000) // 12 kB: only the digest crosses the network
			sig, err := k.Sign(ctx, msg)
			if err != nil {
				t.Fatal(err)
			}
			var digest []byte
			if tc.hash == crypto.SHA256 {
				d := sha256.Sum256(msg)
				digest = d[:]
			} else {
				d := sha512.Sum384(msg)
				digest = d[:]
			}
			if !ecdsa.VerifyASN1(pub, digest, sig) {
				t.Fatal("ecdsa.VerifyASN1 rejects the KMS signature")
			}
			digest[0] ^= 1
			if ecdsa.VerifyASN1(pub, digest, sig) {
				t.Fatal("ecdsa.VerifyASN1 accepts the KMS signature for another digest")
			}
		})
	}
}

func readECKey(t *testing.T, name string) *ecdsa.PrivateKey {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(b)
	k, err := x509.ParseECPrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestURIForms opens one key through each way of naming it.
func TestURIForms(t *testing.T) {
	l := needKMS(t)
	id := seedKeys[0].id
	keyARN := "arn:aws:kms:" + testRegion + ":" + testAccount + ":key/" + id
	aliasARN := "arn:aws:kms:" + testRegion + ":" + testAccount + ":alias/tw-p256-a"
	for _, tc := range []struct{ name, uri string }{
		{"key ID", l.URI(id)},
		{"alias", l.URI("alias/tw-p256-a")},
		{"key ARN, region from the ARN", "awskms:key-id=" + keyARN + "?endpoint=" + l.Endpoint},
		{"alias ARN", "awskms:key-id=" + aliasARN + ";region=" + testRegion + "?endpoint=" + l.Endpoint},
		{"profile with a region", "awskms:key-id=" + id + ";profile=tw-test?endpoint=" + l.Endpoint},
		{"every option", l.URI(id, "verify=remote", "max-attempts=5", "max-backoff=50ms", "pubkey-ttl=10m", "external-mu=false")},
		{"percent-encoded endpoint", "awskms:key-id=" + id + ";region=" + testRegion + "?endpoint=" + strings.Replace(l.Endpoint, ":", "%3A", 1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, err := provider.Open(t.Context(), tc.uri)
			if err != nil {
				t.Fatalf("Open(%s): %v", tc.uri, err)
			}
			defer k.Close()
			info := k.Info()
			if info.Algorithm != provider.ECDSAP256SHA256 || info.Backend != awskms.Scheme || info.Version != keyARN {
				t.Fatalf("Info = %+v, want ECDSA-P256-SHA256 from awskms, version %s", info, keyARN)
			}
			msg := []byte("hello")
			sig, err := k.Sign(t.Context(), msg)
			if err != nil {
				t.Fatal(err)
			}
			if err := k.Verify(t.Context(), msg, sig); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestBadInput checks that malformed URIs and unusable keys give errors of
// the right kind, naming the problem.
func TestBadInput(t *testing.T) {
	l := needKMS(t)
	ctx := t.Context()
	c := l.Client()
	// Keys that are not for signing, or of a spec the backend does not take.
	encrypt, err := c.CreateKey(ctx, &kms.CreateKeyInput{KeySpec: types.KeySpecSymmetricDefault, KeyUsage: types.KeyUsageTypeEncryptDecrypt})
	if err != nil {
		t.Fatal(err)
	}
	p521, err := c.CreateKey(ctx, &kms.CreateKeyInput{KeySpec: types.KeySpecEccNistP521, KeyUsage: types.KeyUsageTypeSignVerify})
	if err != nil {
		t.Fatal(err)
	}
	id := seedKeys[0].id
	for _, tc := range []struct {
		name, uri string
		kind      error
		says      string
	}{
		{"no key-id", "awskms:region=eu-west-2", provider.ErrInvalidConfig, "names no key"},
		{"empty key-id", "awskms:key-id=;region=eu-west-2", provider.ErrInvalidConfig, "names no key"},
		{"key-id with a space", "awskms:key-id=alias/a%20b;region=eu-west-2", provider.ErrInvalidConfig, "not a KMS key ID"},
		{"unknown region", "awskms:key-id=" + id + ";region=mars-north-1", provider.ErrInvalidConfig, "not an AWS region"},
		{"uppercase region", "awskms:key-id=" + id + ";region=EU-WEST-2", provider.ErrInvalidConfig, "not an AWS region"},
		{"region and ARN disagree", "awskms:key-id=arn:aws:kms:us-east-1:1:key/" + id + ";region=eu-west-2", provider.ErrInvalidConfig, "make them agree"},
		{"no region anywhere", "awskms:key-id=" + id + "?endpoint=" + l.Endpoint, provider.ErrInvalidConfig, "no region"},
		{"profile without region", "awskms:key-id=" + id + ";profile=tw-noregion?endpoint=" + l.Endpoint, provider.ErrInvalidConfig, "no region"},
		{"unknown profile", "awskms:key-id=" + id + ";region=eu-west-2;profile=nope?endpoint=" + l.Endpoint, provider.ErrInvalidConfig, "nope"},
		{"unknown attribute", "awskms:key-id=" + id + ";regoin=eu-west-2", provider.ErrInvalidConfig, "unknown attribute"},
		{"endpoint without a host", "awskms:key-id=" + id + ";region=eu-west-2?endpoint=http://", provider.ErrInvalidConfig, "http(s) URL"},
		{"endpoint of another scheme", "awskms:key-id=" + id + ";region=eu-west-2?endpoint=ftp://127.0.0.1", provider.ErrInvalidConfig, "http(s) URL"},
		{"verify=maybe", l.URI(id, "verify=maybe"), provider.ErrInvalidConfig, "verify=local"},
		{"max-attempts=0", l.URI(id, "max-attempts=0"), provider.ErrInvalidConfig, "from 1"},
		{"max-backoff=fast", l.URI(id, "max-backoff=fast"), provider.ErrInvalidConfig, "Go duration"},
		{"external-mu=yes", l.URI(id, "external-mu=yes"), provider.ErrInvalidConfig, "true (the default) or false"},
		{"ENCRYPT_DECRYPT key", l.URI(*encrypt.KeyMetadata.KeyId), provider.ErrUnsupported, "key usage ENCRYPT_DECRYPT"},
		{"ECC_NIST_P521 key", l.URI(*p521.KeyMetadata.KeyId), provider.ErrUnsupported, "ECC_NIST_P521"},
		{"unknown alias", l.URI("alias/no-such-key"), provider.ErrKeyNotFound, "NotFoundException"}, // the remedy: TestOpErrorShape
		{"unknown key ID", l.URI("00000000-0000-4000-8000-0000000000ff"), provider.ErrKeyNotFound, "NotFoundException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, err := provider.Open(ctx, tc.uri)
			if err == nil {
				k.Close()
				t.Fatalf("Open(%s) succeeded", tc.uri)
			}
			if !errors.Is(err, tc.kind) || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("Open(%s) = %v; want %v saying %q", tc.uri, err, tc.kind, tc.says)
			}
		})
	}
}

// TestWrongSizeSignatures checks that a signature of the wrong size is
// invalid, says so, and needs no call to KMS.
func TestWrongSizeSignatures(t *testing.T) {
	l := needKMS(t)
	ctx := t.Context()
	for _, tc := range []struct {
		alias string
		sizes []int
		says  string
	}{
		{"alias/tw-p256-a", []int{0, 7, 73, 4096}, "DER signature of this key is 8 to 72 bytes"},
		{"alias/tw-p384-a", []int{0, 105}, "8 to 104 bytes"},
		{"alias/tw-rsa2048-a", []int{0, 255, 257, 512}, "exactly 256"},
		{"alias/tw-hmac-b", []int{0, 31, 33, 64}, "want 32"},
	} {
		for _, remote := range []bool{false, true} {
			var q []string
			if remote {
				q = []string{"verify=remote"}
			}
			k, err := provider.Open(ctx, l.URI(tc.alias, q...))
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range tc.sizes {
				err := k.Verify(ctx, []byte("msg"), make([]byte, n))
				if !errors.Is(err, provider.ErrInvalidSignature) || !strings.Contains(err.Error(), tc.says) {
					t.Errorf("%s remote=%v: Verify of a %d-byte signature = %v; want ErrInvalidSignature saying %q", tc.alias, remote, n, err, tc.says)
				}
			}
			k.Close()
		}
	}
}

// TestHMACMessageLimit checks the 4096-byte limit of GenerateMac and
// VerifyMac: over it is unsupported, never an invalid signature.
func TestHMACMessageLimit(t *testing.T) {
	l := needKMS(t)
	ctx := t.Context()
	k, err := provider.Open(ctx, l.URI("alias/tw-hmac-b"))
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	big := make([]byte, awskms.RawMessageLimit+1)
	if _, err := k.Sign(ctx, big); !errors.Is(err, provider.ErrUnsupported) || !strings.Contains(err.Error(), "4096") {
		t.Errorf("Sign of %d bytes = %v, want ErrUnsupported naming the limit", len(big), err)
	}
	if err := k.Verify(ctx, big, make([]byte, 32)); !errors.Is(err, provider.ErrUnsupported) || errors.Is(err, provider.ErrInvalidSignature) {
		t.Errorf("Verify of %d bytes = %v, want ErrUnsupported", len(big), err)
	}
}

// TestDigestSigner checks SignDigest's checks of its options.
func TestDigestSigner(t *testing.T) {
	l := needKMS(t)
	ctx := t.Context()
	p256, err := provider.Open(ctx, l.URI("alias/tw-p256-a"))
	if err != nil {
		t.Fatal(err)
	}
	defer p256.Close()
	rsaKey, err := provider.Open(ctx, l.URI("alias/tw-rsa2048-a"))
	if err != nil {
		t.Fatal(err)
	}
	defer rsaKey.Close()
	d256 := make([]byte, 32)
	for _, tc := range []struct {
		name   string
		key    provider.Key
		digest []byte
		opts   crypto.SignerOpts
		kind   error
	}{
		{"P-256 with SHA-384", p256, make([]byte, 48), crypto.SHA384, provider.ErrUnsupported},
		{"P-256 with a short digest", p256, d256[:31], crypto.SHA256, provider.ErrInvalidConfig},
		{"P-256 with nil opts", p256, d256, nil, provider.ErrInvalidConfig},
		{"RSA with PKCS #1 v1.5", rsaKey, d256, crypto.SHA256, provider.ErrUnsupported},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.key.(provider.DigestSigner).SignDigest(ctx, tc.digest, tc.opts)
			if !errors.Is(err, tc.kind) {
				t.Fatalf("SignDigest = %v, want %v", err, tc.kind)
			}
		})
	}
}

// TestPublicKeyRefresh moves an alias to another key and checks that local
// verification follows: at once when a Sign answer names the new key, and
// when the cached key's TTL runs out.
func TestPublicKeyRefresh(t *testing.T) {
	l := needKMS(t)
	ctx := t.Context()
	c := l.Client()
	const alias = "alias/tw-rotating"
	moveAlias := func(target string) {
		t.Helper()
		if _, err := c.UpdateAlias(ctx, &kms.UpdateAliasInput{AliasName: aws.String(alias), TargetKeyId: aws.String(target)}); err != nil {
			t.Fatal(err)
		}
	}
	keyA, keyB := seedKeys[0].id, seedKeys[1].id
	moveAlias(keyA)
	defer moveAlias(keyA)

	t.Run("on a Sign naming another key", func(t *testing.T) {
		moveAlias(keyA)
		k, err := provider.Open(ctx, l.URI(alias, "pubkey-ttl=0s"))
		if err != nil {
			t.Fatal(err)
		}
		defer k.Close()
		before := k.(provider.PublicKeyer).Public().(*ecdsa.PublicKey)
		moveAlias(keyB)
		msg := []byte("after rotation")
		sig, err := k.Sign(ctx, msg)
		if err != nil {
			t.Fatal(err)
		}
		if err := k.Verify(ctx, msg, sig); err != nil {
			t.Fatalf("Verify after the alias moved: %v", err)
		}
		after := k.(provider.PublicKeyer).Public().(*ecdsa.PublicKey)
		if after.Equal(before) || !after.Equal(&readECKey(t, "p256-b.pem").PublicKey) {
			t.Fatal("the cached public key did not follow the alias to the new key")
		}
	})
	t.Run("when the TTL runs out", func(t *testing.T) {
		moveAlias(keyA)
		k, err := provider.Open(ctx, l.URI(alias, "pubkey-ttl=1ms"))
		if err != nil {
			t.Fatal(err)
		}
		defer k.Close()
		moveAlias(keyB)
		msg := []byte("signed elsewhere")
		d := sha256.Sum256(msg)
		out, err := c.Sign(ctx, &kms.SignInput{KeyId: aws.String(keyB), Message: d[:], MessageType: types.MessageTypeDigest, SigningAlgorithm: types.SigningAlgorithmSpecEcdsaSha256})
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond) // past the 1ms TTL
		if err = k.Verify(ctx, msg, out.Signature); err != nil {
			t.Fatalf("Verify of the new key's signature after the TTL: %v", err)
		}
	})
}
