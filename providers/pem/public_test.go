package pem_test

import (
	"bytes"
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	stdpem "encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tinywindow/tinywindow/internal/stdverify/stdverifytest"
	"github.com/tinywindow/tinywindow/internal/testenv"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/pem"
	_ "github.com/tinywindow/tinywindow/providers/pqc"
)

// writePublicFile writes data to a new file of mode 0644, as public keys
// are kept, and returns its path.
func writePublicFile(t testing.TB, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "pub.pem")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// publicPEM returns the PEM public key of k, as `tinywindow pubkey` prints
// it.
func publicPEM(t testing.TB, k provider.Key) []byte {
	t.Helper()
	p, ok := k.(provider.PublicKeyPEMer)
	if !ok {
		t.Fatalf("%T has no PEM public key", k)
	}
	b, err := p.PublicKeyPEM()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestPublicKeyVerifies opens, from a world-readable file and from the
// environment, the public key of a key of every algorithm the pem and pqc
// backends sign with, and checks that it has the signing key's ID and
// algorithm, judges signatures as the signing key does, and refuses to sign
// saying why.
func TestPublicKeyVerifies(t *testing.T) {
	signers := map[string]string{}
	for _, alg := range pem.Algorithms() {
		uri := "pem:key-source=file:" + writeKeyFile(t, "k.pem", pkcs8(t, sharedKey(t, alg, 0)))
		if alg == provider.RSAPKCS1SHA256 {
			uri += ";alg=" + string(alg)
		}
		signers[string(alg)] = uri
	}
	for _, alg := range []provider.Algorithm{provider.MLDSA44, provider.MLDSA65, provider.MLDSA87, provider.SLHDSASHA2128f} {
		seed := make([]byte, 32)
		if strings.HasPrefix(string(alg), "SLH-DSA") {
			seed = make([]byte, 48)
		}
		rand.Read(seed)
		signers[string(alg)] = "pqc:alg=" + string(alg) + ";seed-source=file:" + writeKeyFile(t, "seed", []byte(hex.EncodeToString(seed)+"\n"))
	}
	for name, uri := range signers {
		t.Run(name, func(t *testing.T) {
			signer := testenv.MustOpen(t, uri)
			pubPEM := publicPEM(t, signer)
			alg := ""
			if signer.Info().Algorithm == provider.RSAPKCS1SHA256 {
				alg = ";alg=RSA-PKCS1-SHA256"
			}
			t.Setenv("TW_PEM_PUB", string(pubPEM))
			for _, pubURI := range []string{
				"pem:pub-source=file:" + writePublicFile(t, pubPEM) + alg,
				"pem:pub-source=env:TW_PEM_PUB" + alg,
			} {
				public := testenv.MustOpen(t, pubURI)
				if got, want := public.Info().ID, signer.Info().ID; got != want {
					t.Errorf("%s: key ID %s, the signing key's is %s", pubURI, got, want)
				}
				stdverifytest.Agree(t, signer, public)
				_, err := public.Sign(t.Context(), []byte("m"))
				if !errors.Is(err, provider.ErrUnsupported) {
					t.Errorf("%s: Sign: %v, want ErrUnsupported", pubURI, err)
				}
				if _, isPEM := public.(*pem.Key); isPEM && !strings.Contains(fmtErr(err), "is a public key: it verifies only") {
					t.Errorf("%s: Sign: %v does not say the key is public", pubURI, err)
				}
				if got := publicPEM(t, public); !bytes.Equal(got, pubPEM) {
					t.Errorf("%s: PublicKeyPEM does not round-trip:\n%s\nwant\n%s", pubURI, got, pubPEM)
				}
			}
		})
	}
}

func fmtErr(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

// TestPublicKeyWycheproof judges the shared table of signatures with a
// verify-only key opened from each vector's public key in PEM, so that a
// public key gives the verdicts of every backend with local verification.
func TestPublicKeyWycheproof(t *testing.T) {
	stdverifytest.Run(t, func(alg provider.Algorithm, pub crypto.PublicKey, msg, sig []byte) error {
		der, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			return err
		}
		k, err := pem.NewVerifier(stdpem.EncodeToMemory(&stdpem.Block{Type: "PUBLIC KEY", Bytes: der}), alg)
		if err != nil {
			return err
		}
		defer k.Close()
		return k.Verify(t.Context(), msg, sig)
	}, stdverifytest.AllAlgorithms...)
}

// TestPublicKeyBadInput refuses each kind of wrong public key, with a
// message that names the problem, and never asks to chmod a public file.
func TestPublicKeyBadInput(t *testing.T) {
	ed := sharedKey(t, provider.Ed25519, 0)
	p256 := sharedKey(t, provider.ECDSAP256SHA256, 0).(*ecdsa.PrivateKey)
	edPub := pubPEMOf(t, ed.Public())
	p256Pub := pubPEMOf(t, p256.Public())
	p256DER, _ := x509.MarshalPKIXPublicKey(p256.Public())
	offCurve := bytes.Clone(p256DER)
	offCurve[len(offCurve)-1] ^= 1
	rsa1024, _ := rsa.GenerateKey(rand.Reader, 1024)
	p224, _ := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	x25519, _ := ecdh.X25519().GenerateKey(rand.Reader)
	ecPoint, _ := p256.PublicKey.Bytes()
	spkiOf := func(oid asn1.ObjectIdentifier, key []byte) []byte {
		b, err := asn1.Marshal(struct {
			Alg struct{ OID asn1.ObjectIdentifier }
			Key asn1.BitString
		}{struct{ OID asn1.ObjectIdentifier }{oid}, asn1.BitString{Bytes: key, BitLength: 8 * len(key)}})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	block := func(typ string, der []byte) []byte {
		return stdpem.EncodeToMemory(&stdpem.Block{Type: typ, Bytes: der})
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "orders"}, NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	cert, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, ed.Public(), ed)
	if err != nil {
		t.Fatal(err)
	}
	mldsa65 := asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 18}
	ed25519OID := asn1.ObjectIdentifier{1, 3, 101, 112}
	rsaOID := asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	ecOID := asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	edRaw := []byte(ed.Public().(ed25519.PublicKey))

	file := func(data []byte) string { return "pem:pub-source=file:" + writePublicFile(t, data) }
	big := writePublicFile(t, append(bytes.Clone(edPub), bytes.Repeat([]byte("\n"), 20<<10)...))
	for _, tc := range []struct {
		name, uri string
		want      error
		msg       string
	}{
		{"private key", file(pkcs8(t, ed)), provider.ErrInvalidConfig, `"PRIVATE KEY" is a private key where a public key is expected`},
		{"SEC 1 private key", file(block("EC PRIVATE KEY", must(x509.MarshalECPrivateKey(p256)))), provider.ErrInvalidConfig, "is a private key"},
		{"certificate", file(block("CERTIFICATE", cert)), provider.ErrInvalidConfig, "is a certificate, not a public key"},
		{"PKCS#1 RSA public key", file(block("RSA PUBLIC KEY", x509.MarshalPKCS1PublicKey(&rsa1024.PublicKey))), provider.ErrInvalidConfig, "PKCS#1"},
		{"two keys", file(append(bytes.Clone(edPub), p256Pub...)), provider.ErrInvalidConfig, "more than one PEM block"},
		{"RSA 1024", file(pubPEMOf(t, &rsa1024.PublicKey)), provider.ErrUnsupported, "RSA public key of 1024 bits; at least 2048"},
		{"point not on the curve", file(block("PUBLIC KEY", offCurve)), provider.ErrInvalidConfig, "not a point on its named curve"},
		{"P-224", file(pubPEMOf(t, p224.Public())), provider.ErrUnsupported, "P-224"},
		{"X25519", file(pubPEMOf(t, x25519.PublicKey())), provider.ErrUnsupported, "is none that TinyWindow verifies"},
		{"truncated PEM", file(edPub[:len(edPub)-12]), provider.ErrInvalidConfig, "truncated or damaged"},
		{"over-long PEM", "pem:pub-source=file:" + big, provider.ErrInvalidConfig, "limit"},
		{"over-long DER", file(block("PUBLIC KEY", append(must(x509.MarshalPKIXPublicKey(ed.Public())), 0, 0))), provider.ErrInvalidConfig, "2 bytes of trailing data"},
		{"trailing garbage", file(append(bytes.Clone(edPub), "garbage"...)), provider.ErrInvalidConfig, "7 bytes of data after the PEM"},
		{"leading garbage", file(append([]byte("garbage\n"), edPub...)), provider.ErrInvalidConfig, "data before the PEM"},
		{"not DER", file(block("PUBLIC KEY", []byte{1, 2, 3})), provider.ErrInvalidConfig, "not a DER SubjectPublicKeyInfo"},
		{"Ed25519 OID, EC point", file(block("PUBLIC KEY", spkiOf(ed25519OID, ecPoint))), provider.ErrInvalidConfig, "the OID and the key do not match"},
		{"RSA OID, Ed25519 key", file(block("PUBLIC KEY", spkiOf(rsaOID, edRaw))), provider.ErrInvalidConfig, "the OID and the key do not match"},
		{"EC OID, Ed25519 key", file(block("PUBLIC KEY", spkiOf(ecOID, edRaw))), provider.ErrInvalidConfig, "ECDSA public key"},
		{"ML-DSA OID, Ed25519 key", file(block("PUBLIC KEY", spkiOf(mldsa65, edRaw))), provider.ErrInvalidConfig, "ML-DSA-65 public key is 32 bytes, want 1952"},
		{"alg does not match", file(edPub) + ";alg=ECDSA-P256-SHA256", provider.ErrUnsupported, "is for Ed25519, not for ECDSA-P256-SHA256"},
		{"empty file", file(nil), provider.ErrInvalidConfig, "no PEM block"},
		{"directory", "pem:pub-source=file:" + t.TempDir(), provider.ErrInvalidConfig, "not a regular file"},
		{"missing file", "pem:pub-source=file:/nonexistent/pub.pem", provider.ErrInvalidConfig, "no such file"},
		{"not a source", "pem:pub-source=/etc/pub.pem", provider.ErrInvalidConfig, "neither env:NAME nor file:PATH"},
		{"both sources", "pem:pub-source=env:A;key-source=env:B", provider.ErrInvalidConfig, "both key-source and pub-source"},
		{"public key as key-source", "pem:key-source=file:" + writePublicFile(t, edPub), provider.ErrInvalidConfig, "holds a public key, not a private one: open it with pem:pub-source="},
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
			if strings.Contains(err.Error(), "chmod") {
				t.Errorf("Open of a public key asks for chmod: %v", err)
			}
		})
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// pubPEMOf encodes pub as a PEM "PUBLIC KEY" block.
func pubPEMOf(t testing.TB, pub crypto.PublicKey) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return stdpem.EncodeToMemory(&stdpem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// TestGeneratePubSource refuses to make a key at a pub-source, saying where
// keygen writes and where a public key comes from.
func TestGeneratePubSource(t *testing.T) {
	_, err := provider.Generate(t.Context(), "pem:pub-source=file:"+filepath.Join(t.TempDir(), "pub.pem"), provider.GenerateRequest{Algorithm: provider.Ed25519})
	if !errors.Is(err, provider.ErrInvalidConfig) || !strings.Contains(err.Error(), "pub-source names a public key") {
		t.Fatalf("Generate at a pub-source: %v", err)
	}
}
