package awskms_test

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/tinywindow/tinywindow/provider"
)

// TestLocalKMSPSSSalt pins where local-kms parts from AWS KMS on RSA-PSS, and
// that local verification keeps AWS's rule all the same. AWS KMS signs
// RSASSA_PSS_SHA_256 with a 32-byte salt; local-kms signs with the longest
// (222 bytes for RSA_2048) and its Verify accepts any salt. So against
// local-kms: a signature from KMS Sign is invalid under verify=local and
// valid under verify=remote; a signature shaped as AWS makes it (salt 32,
// made here with the seeded private key) is valid both ways; any other salt
// is invalid locally, though local-kms accepts it. If local-kms changes, this
// test fails and docs/awskms.md needs the same change.
func TestLocalKMSPSSSalt(t *testing.T) {
	l := needKMS(t)
	ctx := t.Context()
	local, err := provider.Open(ctx, l.URI("alias/tw-rsa2048-a"))
	if err != nil {
		t.Fatal(err)
	}
	defer local.Close()
	remote, err := provider.Open(ctx, l.URI("alias/tw-rsa2048-a", "verify=remote"))
	if err != nil {
		t.Fatal(err)
	}
	defer remote.Close()
	priv := readRSAKey(t, "rsa2048-a.pem")
	if !priv.PublicKey.Equal(local.(provider.PublicKeyer).Public()) {
		t.Fatal("alias/tw-rsa2048-a is not the key of testdata/rsa2048-a.pem")
	}
	msg := []byte("order 42")
	d := sha256.Sum256(msg)

	kmsSig, err := local.Sign(ctx, msg)
	if err != nil {
		t.Fatal(err)
	}
	longest := priv.Size() - sha256.Size - 2
	if err := rsa.VerifyPSS(&priv.PublicKey, crypto.SHA256, d[:], kmsSig, &rsa.PSSOptions{SaltLength: longest}); err != nil {
		t.Errorf("local-kms's signature does not have a %d-byte salt (%v): update docs/awskms.md", longest, err)
	}

	for _, tc := range []struct {
		name       string
		sig        func() []byte
		local, kms bool // valid under verify=local, and for local-kms's Verify
	}{
		{"from local-kms Sign", func() []byte { return kmsSig }, false, true},
		{"salt 32, as AWS KMS signs", pssSig(t, priv, d[:], rsa.PSSSaltLengthEqualsHash), true, true},
		{"salt 0", pssSig(t, priv, d[:], 0), false, true},
		{"salt 64", pssSig(t, priv, d[:], 64), false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sig := tc.sig()
			for _, v := range []struct {
				mode  string
				key   provider.Key
				valid bool
			}{{"verify=local", local, tc.local}, {"verify=remote", remote, tc.kms}} {
				err := v.key.Verify(ctx, msg, sig)
				if v.valid && err != nil || !v.valid && !errors.Is(err, provider.ErrInvalidSignature) {
					t.Errorf("%s: Verify = %v, want valid=%v", v.mode, err, v.valid)
				}
			}
		})
	}
}

func pssSig(t *testing.T, priv *rsa.PrivateKey, digest []byte, salt int) func() []byte {
	sig, err := rsa.SignPSS(rand.Reader, priv, crypto.SHA256, digest, &rsa.PSSOptions{SaltLength: salt})
	if err != nil {
		t.Fatal(err)
	}
	return func() []byte { return sig }
}

func readRSAKey(t *testing.T, name string) *rsa.PrivateKey {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(b)
	if block == nil {
		t.Fatalf("testdata/%s holds no PEM block", name)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return k.(*rsa.PrivateKey)
}
