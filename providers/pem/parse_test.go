package pem_test

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	stdpem "encoding/pem"
	"errors"
	"math/big"
	"os"
	"strings"
	"testing"

	"github.com/tinywindow/tinywindow/internal/testenv"
	"golang.org/x/crypto/ssh"

	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/pem"
)

// TestOpenErrors feeds the backend every kind of bad key source and URI: each
// is refused with the right kind of error, saying what to fix, and no error
// repeats the key's bytes.
func TestOpenErrors(t *testing.T) {
	ed := newKey(t, provider.Ed25519)
	edPEM := pkcs8(t, ed)
	p256 := sharedKey(t, provider.ECDSAP256SHA256, 0)
	p256PEM := pkcs8(t, p256)
	spki, _ := x509.MarshalPKIXPublicKey(ed.Public())
	pubPEM := stdpem.EncodeToMemory(&stdpem.Block{Type: "PUBLIC KEY", Bytes: spki})
	p224, _ := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	p224DER, _ := x509.MarshalECPrivateKey(p224)
	rsa1024, _ := rsa.GenerateKey(rand.Reader, 1024)
	x25519, _ := ecdh.X25519().GenerateKey(rand.Reader)
	x25519DER, _ := x509.MarshalPKCS8PrivateKey(x25519)
	sshEnc, err := ssh.MarshalPrivateKeyWithPassphrase(ed, "", []byte("secret"))
	if err != nil {
		t.Fatal(err)
	}
	//lint:ignore SA1019 legacy encrypted PEM, as old OpenSSL wrote it, must be refused
	legacyEnc, err := x509.EncryptPEMBlock(rand.Reader, "EC PRIVATE KEY", []byte{1, 2, 3}, []byte("pw"), x509.PEMCipherAES256)
	if err != nil {
		t.Fatal(err)
	}
	ecParams := stdpem.EncodeToMemory(&stdpem.Block{Type: "EC PARAMETERS", Bytes: []byte{0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07}})
	secretText := string(edPEM[len("-----BEGIN PRIVATE KEY-----\n"):][:20])

	file := func(data []byte) string { return "pem:key-source=file:" + writeKeyFile(t, "k.pem", data) }
	t.Setenv("TW_PEM_ESCAPED", strings.ReplaceAll(string(edPEM), "\n", `\n`))
	groupReadable := writeKeyFile(t, "g.pem", edPEM)
	os.Chmod(groupReadable, 0o640)

	for _, tc := range []struct {
		name, uri string
		want      error
		msg       string
	}{
		{"no key-source", "pem:alg=Ed25519", provider.ErrInvalidConfig, "names no key"},
		{"key-source not a source", "pem:key-source=" + secretText, provider.ErrInvalidConfig, "neither env:NAME nor file:PATH"},
		{"unknown attribute", "pem:key-source=env:X;colour=red", provider.ErrInvalidConfig, "unknown attribute"},
		{"unknown algorithm", "pem:key-source=env:X;alg=DSA", provider.ErrUnsupported, "unknown algorithm"},
		{"algorithm not offered", "pem:key-source=env:X;alg=ML-DSA-65", provider.ErrUnsupported, "not offered"},
		{"group-readable file", "pem:key-source=file:" + groupReadable, provider.ErrInvalidConfig, "chmod 600"},
		{"directory", "pem:key-source=file:" + t.TempDir(), provider.ErrInvalidConfig, "not a regular file"},
		{"missing file", "pem:key-source=file:/nonexistent/k.pem", provider.ErrInvalidConfig, "no such file"},
		{"unset env", "pem:key-source=env:TW_PEM_UNSET_X", provider.ErrInvalidConfig, "is not set"},
		{"env with escaped newlines", "pem:key-source=env:TW_PEM_ESCAPED", provider.ErrInvalidConfig, `"$(cat key.pem)"`},
		{"empty file", file(nil), provider.ErrInvalidConfig, "no PEM block"},
		{"hex, not PEM", file([]byte("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n")), provider.ErrInvalidConfig, "no PEM block"},
		{"truncated PEM", file(edPEM[:len(edPEM)-10]), provider.ErrInvalidConfig, "no PEM block"},
		{"public key", file(pubPEM), provider.ErrInvalidConfig, "a public key opens with pem:pub-source="},
		{"two keys", file(append(bytes.Clone(edPEM), p256PEM...)), provider.ErrInvalidConfig, "more than one private key"},
		{"EC PARAMETERS alone", file(ecParams), provider.ErrInvalidConfig, `no private key among the PEM blocks "EC PARAMETERS"`},
		{"corrupt DER", file(stdpem.EncodeToMemory(&stdpem.Block{Type: "PRIVATE KEY", Bytes: []byte{0x30, 0x03, 1, 2}})), provider.ErrInvalidConfig, `"PRIVATE KEY" block`},
		{"encrypted PKCS#8", file(stdpem.EncodeToMemory(&stdpem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: []byte{1}})), provider.ErrInvalidConfig, "encrypted"},
		{"encrypted legacy PEM", file(stdpem.EncodeToMemory(legacyEnc)), provider.ErrInvalidConfig, "encrypted"},
		{"encrypted OpenSSH", file(stdpem.EncodeToMemory(sshEnc)), provider.ErrInvalidConfig, "encrypted"},
		{"P-224 key", file(stdpem.EncodeToMemory(&stdpem.Block{Type: "EC PRIVATE KEY", Bytes: p224DER})), provider.ErrUnsupported, "P-224"},
		{"RSA 1024", file(stdpem.EncodeToMemory(&stdpem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsa1024)})), provider.ErrUnsupported, "1024 bits"},
		{"X25519 key", file(stdpem.EncodeToMemory(&stdpem.Block{Type: "PRIVATE KEY", Bytes: x25519DER})), provider.ErrUnsupported, "ecdh"},
		{"alg does not match", file(edPEM) + ";alg=ECDSA-P256-SHA256", provider.ErrUnsupported, "is for Ed25519, not for ECDSA-P256-SHA256"},
		{"PKCS1 alg for an EC key", file(p256PEM) + ";alg=RSA-PKCS1-SHA256", provider.ErrUnsupported, "not for RSA-PKCS1-SHA256"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, err := provider.Open(t.Context(), tc.uri)
			if err == nil {
				k.Close()
				t.Fatalf("Open succeeded")
			}
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("Open: %v\nwant an error matching %v saying %q", err, tc.want, tc.msg)
			}
			if strings.Contains(err.Error(), secretText) {
				t.Fatalf("the error repeats the key: %v", err)
			}
		})
	}
}

// TestEnvSource opens a key whose PEM text stands in an environment
// variable, and a SEC 1 key preceded by its EC PARAMETERS block, as `openssl
// ecparam -genkey` writes it.
func TestEnvSource(t *testing.T) {
	priv := sharedKey(t, provider.ECDSAP256SHA256, 0)
	t.Setenv("TW_PEM_KEY", string(pkcs8(t, priv)))
	k := testenv.MustOpen(t, "pem:key-source=env:TW_PEM_KEY")
	der, _ := x509.MarshalECPrivateKey(priv.(*ecdsa.PrivateKey))
	withParams := append(stdpem.EncodeToMemory(&stdpem.Block{Type: "EC PARAMETERS", Bytes: []byte{0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07}}),
		stdpem.EncodeToMemory(&stdpem.Block{Type: "EC PRIVATE KEY", Bytes: der})...)
	k2 := testenv.MustOpen(t, "pem:key-source=file:"+writeKeyFile(t, "k.pem", withParams))
	if k.Info() != k2.Info() {
		t.Fatalf("env key %+v, file key %+v", k.Info(), k2.Info())
	}
	if id, err := k.(provider.Identifier).Identity(t.Context()); err != nil || id.VerifyMode != "local" {
		t.Fatalf("Identity: %+v, %v; want verify mode local", id, err)
	}
}

// TestGenerate makes a key of every algorithm through the registry, as
// `tinywindow keygen` does: a PKCS#8 file of mode 0600 that opens to the key
// keygen described, never overwritten, and removed if it cannot be written.
func TestGenerate(t *testing.T) {
	for _, alg := range pem.Algorithms() {
		t.Run(string(alg), func(t *testing.T) {
			if alg == provider.RSAPSSSHA256 || alg == provider.RSAPKCS1SHA256 {
				if testing.Short() {
					t.Skip("RSA-3072 key generation is slow; skipped in -short mode")
				}
			}
			path := t.TempDir() + "/new.pem"
			uri := "pem:key-source=file:" + path
			info, err := provider.Generate(t.Context(), uri, provider.GenerateRequest{Algorithm: alg})
			if err != nil {
				t.Fatal(err)
			}
			st, err := os.Stat(path)
			if err != nil || st.Mode().Perm() != 0o600 {
				t.Fatalf("key file: %v, mode %v", err, st.Mode())
			}
			data, _ := os.ReadFile(path)
			if b, _ := stdpem.Decode(data); b == nil || b.Type != "PRIVATE KEY" {
				t.Fatalf("key file is not PKCS#8 PEM: %.40q", data)
			}
			if alg == provider.RSAPKCS1SHA256 {
				uri += ";alg=RSA-PKCS1-SHA256"
			}
			if k := testenv.MustOpen(t, uri); k.Info() != info {
				t.Fatalf("opened %+v, keygen said %+v", k.Info(), info)
			}
			if _, err := provider.Generate(t.Context(), uri, provider.GenerateRequest{Algorithm: alg}); !errors.Is(err, provider.ErrInvalidConfig) || !strings.Contains(err.Error(), "never overwrites") {
				t.Fatalf("second keygen to the same file: %v", err)
			}
			if again, _ := os.ReadFile(path); !bytes.Equal(again, data) {
				t.Fatal("the second keygen changed the key file")
			}
		})
	}
}

func TestGenerateImportAndErrors(t *testing.T) {
	priv := sharedKey(t, provider.ECDSAP384SHA384, 0)
	der, _ := x509.MarshalECPrivateKey(priv.(*ecdsa.PrivateKey))
	src := writeKeyFile(t, "sec1.pem", stdpem.EncodeToMemory(&stdpem.Block{Type: "EC PRIVATE KEY", Bytes: der}))
	out := t.TempDir() + "/imported.pem"
	info, err := provider.Generate(t.Context(), "pem:key-source=file:"+out, provider.GenerateRequest{Import: "file:" + src})
	if err != nil {
		t.Fatal(err)
	}
	if k := testenv.MustOpen(t, "pem:key-source=file:"+src); k.Info() != info {
		t.Fatalf("imported key %+v, source key %+v", info, k.Info())
	}
	for _, tc := range []struct {
		name, uri string
		req       provider.GenerateRequest
		want      error
		msg       string
	}{
		{"env destination", "pem:key-source=env:X", provider.GenerateRequest{}, provider.ErrInvalidConfig, "file:PATH"},
		{"algorithm not offered", "pem:key-source=file:" + t.TempDir() + "/k", provider.GenerateRequest{Algorithm: provider.MLDSA65}, provider.ErrUnsupported, "not ML-DSA-65"},
		{"algorithms disagree", "pem:key-source=file:" + t.TempDir() + "/k;alg=Ed25519", provider.GenerateRequest{Algorithm: provider.ECDSAP256SHA256}, provider.ErrInvalidConfig, "make them match"},
		{"import of another type", "pem:key-source=file:" + t.TempDir() + "/k", provider.GenerateRequest{Algorithm: provider.Ed25519, Import: "file:" + src}, provider.ErrUnsupported, "not for Ed25519"},
		{"missing directory", "pem:key-source=file:/nonexistent/dir/k", provider.GenerateRequest{}, provider.ErrInvalidConfig, "no such file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := provider.Generate(t.Context(), tc.uri, tc.req)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("Generate: %v\nwant an error matching %v saying %q", err, tc.want, tc.msg)
			}
		})
	}
}

// TestCloseZeroes checks that Close overwrites the private key it was given.
func TestCloseZeroes(t *testing.T) {
	ed := newKey(t, provider.Ed25519)
	k, err := pem.New(ed, "")
	if err != nil {
		t.Fatal(err)
	}
	k.Close()
	if !bytes.Equal(ed.(interface{ Seed() []byte }).Seed(), make([]byte, 32)) {
		t.Fatal("Close left the Ed25519 seed in memory")
	}
	r := sharedKey(t, provider.RSAPSSSHA256, 1)
	rk := &rsa.PrivateKey{PublicKey: r.(*rsa.PrivateKey).PublicKey, D: new(big.Int).Set(r.(*rsa.PrivateKey).D)}
	for _, p := range r.(*rsa.PrivateKey).Primes {
		rk.Primes = append(rk.Primes, new(big.Int).Set(p))
	}
	rk.Precompute()
	k, err = pem.New(rk, "")
	if err != nil {
		t.Fatal(err)
	}
	k.Close()
	for _, v := range []*big.Int{rk.D, rk.Primes[0], rk.Primes[1], rk.Precomputed.Dp, rk.Precomputed.Dq, rk.Precomputed.Qinv} {
		for _, w := range v.Bits() {
			if w != 0 {
				t.Fatal("Close left RSA private words in memory")
			}
		}
	}
}
