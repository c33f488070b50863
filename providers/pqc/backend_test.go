package pqc_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cloudflare/circl/sign/mldsa/mldsa44"
	"github.com/cloudflare/circl/sign/mldsa/mldsa65"
	"github.com/cloudflare/circl/sign/slhdsa"

	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/pqc"
)

func TestOpenBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	seed32 := write("seed32", strings.Repeat("ab", 32)+"\n", 0o600)
	seed31 := write("seed31", strings.Repeat("ab", 31)+"\n", 0o600)
	seed33 := write("seed33", strings.Repeat("ab", 33)+"\n", 0o600)
	notHex := write("nothex", strings.Repeat("zz", 32)+"\n", 0o600)
	open := write("open", strings.Repeat("ab", 32)+"\n", 0o644)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecDER, _ := x509.MarshalPKIXPublicKey(&ecKey.PublicKey)
	ecPEM := write("ec.pem", string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: ecDER})), 0o644)
	k44, err := pqc.NewFromSeed(testSeed(32, 9), pqc.Options{Algorithm: provider.MLDSA44})
	if err != nil {
		t.Fatal(err)
	}
	pem44, _ := k44.PublicKeyPEM()
	pub44 := write("44.pem", string(pem44), 0o644)
	privPEM := write("priv.pem", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", 0o644)
	garbage := write("garbage.pem", "not a key\n", 0o644)
	twoPEM := write("two.pem", string(pem44)+string(pem44), 0o644)

	tests := []struct {
		name, uri string
		want      error
		says      string // a fragment the message must hold
	}{
		{"no key", "pqc:alg=ML-DSA-65", provider.ErrInvalidConfig, "names no key"},
		{"two sources", "pqc:seed-source=file:" + seed32 + ";pub-source=file:" + pub44, provider.ErrInvalidConfig, "exactly one"},
		{"unknown alg", "pqc:alg=ML-DSA-99;seed-source=file:" + seed32, provider.ErrUnsupported, "ML-DSA-99"},
		{"alg of another backend", "pqc:alg=Ed25519;seed-source=file:" + seed32, provider.ErrUnsupported, "SLH-DSA-SHA2-128s"},
		{"unknown attribute", "pqc:seed-source=file:" + seed32 + ";hash=sha512", provider.ErrInvalidConfig, "hash"},
		{"bad mode", "pqc:seed-source=file:" + seed32 + ";mode=fast", provider.ErrInvalidConfig, "mode=deterministic"},
		{"context of 256 bytes", "pqc:seed-source=file:" + seed32 + ";ctx=" + strings.Repeat("c", 256), provider.ErrInvalidConfig, "at most 255"},
		{"seed of 31 bytes", "pqc:seed-source=file:" + seed31, provider.ErrInvalidConfig, "exactly 32"},
		{"seed of 33 bytes", "pqc:seed-source=file:" + seed33, provider.ErrInvalidConfig, "exactly 32"},
		{"SLH-DSA seed of 32 bytes", "pqc:alg=SLH-DSA-SHA2-128f;seed-source=file:" + seed32, provider.ErrInvalidConfig, "exactly 48"},
		{"seed not hex", "pqc:seed-source=file:" + notHex, provider.ErrInvalidConfig, "hex"},
		{"seed file readable by others", "pqc:seed-source=file:" + open, provider.ErrInvalidConfig, "chmod 600"},
		{"seed file missing", "pqc:seed-source=file:" + filepath.Join(dir, "none"), provider.ErrInvalidConfig, "no such file"},
		{"seed env unset", "pqc:seed-source=env:TW_PQC_TEST_UNSET", provider.ErrInvalidConfig, "not set"},
		{"private key of the seed's size", "pqc:key-source=file:" + seed32, provider.ErrInvalidConfig, "exactly 4032"},
		{"PEM of another algorithm", "pqc:pub-source=file:" + ecPEM, provider.ErrUnsupported, "1.2.840.10045.2.1"},
		{"PEM of another parameter set", "pqc:alg=ML-DSA-65;pub-source=file:" + pub44, provider.ErrInvalidConfig, "is ML-DSA-44, not ML-DSA-65"},
		{"PEM private key", "pqc:pub-source=file:" + privPEM, provider.ErrInvalidConfig, `"PRIVATE KEY"`},
		{"not PEM", "pqc:pub-source=file:" + garbage, provider.ErrInvalidConfig, "SubjectPublicKeyInfo"},
		{"two PEM blocks", "pqc:pub-source=file:" + twoPEM, provider.ErrInvalidConfig, "one public key"},
		{"pub-source of unknown kind", "pqc:pub-source=http://example.com/k.pem", provider.ErrInvalidConfig, "env:NAME or file:PATH"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := provider.Open(context.Background(), tt.uri)
			if err == nil {
				k.Close()
				t.Fatalf("Open(%q) succeeded", tt.uri)
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("error %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.says) {
				t.Errorf("error %q does not say %q", err, tt.says)
			}
		})
	}
}

func TestOpenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	seed := writeSecretFile(t, "seed", testSeed(32, 1))
	if _, err := openPQC(ctx, "pqc:seed-source=file:"+seed); !errors.Is(err, context.Canceled) {
		t.Fatalf("Open with a cancelled context: %v", err)
	}
}

// TestSignatureSizes checks that a signature of any wrong size is an invalid
// signature, for every parameter set.
func TestSignatureSizes(t *testing.T) {
	ctx := context.Background()
	for _, alg := range pqc.Algorithms() {
		t.Run(string(alg), func(t *testing.T) {
			n, _ := pqc.SeedSize(alg)
			k, err := pqc.NewFromSeed(testSeed(n, 3), pqc.Options{Algorithm: alg})
			if err != nil {
				t.Fatal(err)
			}
			defer k.Close()
			size, _ := pqc.SignatureSize(alg)
			msg := []byte("order 1")
			sig, err := k.Sign(ctx, msg)
			if err != nil {
				t.Fatal(err)
			}
			if len(sig) != size {
				t.Fatalf("signature is %d bytes, want %d", len(sig), size)
			}
			for _, bad := range [][]byte{nil, {}, sig[:size-1], append(sig[:size:size], 0), make([]byte, size), make([]byte, 2*size)} {
				err := k.Verify(ctx, msg, bad)
				if !errors.Is(err, provider.ErrInvalidSignature) {
					t.Errorf("Verify of a %d-byte signature: %v, want ErrInvalidSignature", len(bad), err)
				}
			}
		})
	}
}

// TestContextBinding checks that the context string is bound into the
// signature: another context, or none, rejects it.
func TestContextBinding(t *testing.T) {
	ctx := context.Background()
	for _, alg := range []provider.Algorithm{provider.MLDSA65, provider.SLHDSASHA2128f} {
		n, _ := pqc.SeedSize(alg)
		seed := testSeed(n, 4)
		open := func(c string) *pqc.Key {
			k, err := pqc.NewFromSeed(seed, pqc.Options{Algorithm: alg, Context: []byte(c)})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { k.Close() })
			return k
		}
		a, b, none := open("orders-v1"), open("orders-v2"), open("")
		msg := []byte("order 2")
		sig, err := a.Sign(ctx, msg)
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Verify(ctx, msg, sig); err != nil {
			t.Errorf("%s: same context: %v", alg, err)
		}
		for name, k := range map[string]*pqc.Key{"another context": b, "no context": none} {
			if err := k.Verify(ctx, msg, sig); !errors.Is(err, provider.ErrInvalidSignature) {
				t.Errorf("%s: %s: Verify returned %v, want ErrInvalidSignature", alg, name, err)
			}
		}
		if a.Info().ID != b.Info().ID {
			t.Errorf("%s: the context changed the key ID", alg)
		}
	}
	max := strings.Repeat("x", pqc.MaxContextSize)
	if _, err := pqc.NewFromSeed(testSeed(32, 4), pqc.Options{Context: []byte(max)}); err != nil {
		t.Errorf("a context of %d bytes was refused: %v", pqc.MaxContextSize, err)
	}
	if _, err := pqc.NewFromSeed(testSeed(32, 4), pqc.Options{Context: []byte(max + "x")}); !errors.Is(err, provider.ErrInvalidConfig) {
		t.Errorf("a context of %d bytes: %v, want ErrInvalidConfig", pqc.MaxContextSize+1, err)
	}
}

// TestVerifyOnly opens a key from the PEM its signing key exports and checks
// that it verifies, has the same ID, and refuses to sign.
func TestVerifyOnly(t *testing.T) {
	ctx := context.Background()
	for _, alg := range []provider.Algorithm{provider.MLDSA44, provider.MLDSA65, provider.MLDSA87, provider.SLHDSASHA2128f} {
		t.Run(string(alg), func(t *testing.T) {
			n, _ := pqc.SeedSize(alg)
			seed := writeSecretFile(t, "seed", testSeed(n, 5))
			signer, err := openPQC(ctx, fmt.Sprintf("pqc:alg=%s;seed-source=file:%s;ctx=v1", alg, seed))
			if err != nil {
				t.Fatal(err)
			}
			defer signer.Close()
			pemBytes, _ := signer.PublicKeyPEM()
			pemPath := filepath.Join(t.TempDir(), "key.pem")
			if err := os.WriteFile(pemPath, pemBytes, 0o644); err != nil {
				t.Fatal(err)
			}
			v, err := openPQC(ctx, "pqc:ctx=v1;pub-source=file:"+pemPath)
			if err != nil {
				t.Fatal(err)
			}
			defer v.Close()
			if v.Info() != signer.Info() {
				t.Errorf("verify-only key describes itself as %+v, signing key %+v", v.Info(), signer.Info())
			}
			if v.CanSign() || !signer.CanSign() {
				t.Errorf("CanSign: verify-only %v, signer %v", v.CanSign(), signer.CanSign())
			}
			msg := []byte("order 3")
			sig, err := signer.Sign(ctx, msg)
			if err != nil {
				t.Fatal(err)
			}
			if err := v.Verify(ctx, msg, sig); err != nil {
				t.Errorf("verify-only key rejects the signature: %v", err)
			}
			sig[len(sig)/2] ^= 1
			if err := v.Verify(ctx, msg, sig); !errors.Is(err, provider.ErrInvalidSignature) {
				t.Errorf("verify-only key on a tampered signature: %v", err)
			}
			if _, err := v.Sign(ctx, msg); !errors.Is(err, provider.ErrUnsupported) {
				t.Errorf("Sign on a verify-only key: %v, want ErrUnsupported", err)
			}
			// The same key from the environment, as DER is not accepted there.
			t.Setenv("TW_PQC_TEST_PUB", string(pemBytes))
			v2, err := openPQC(ctx, fmt.Sprintf("pqc:alg=%s;pub-source=env:TW_PQC_TEST_PUB", alg))
			if err != nil {
				t.Fatal(err)
			}
			defer v2.Close()
			if v2.Info().ID != signer.Info().ID {
				t.Errorf("key from env:: ID %s, want %s", v2.Info().ID, signer.Info().ID)
			}
		})
	}
}

// TestPublicKeyPEM checks the SubjectPublicKeyInfo: the NIST OID, absent
// parameters, the raw key, and a round trip through ParsePublicKeyPEM.
func TestPublicKeyPEM(t *testing.T) {
	oids := map[provider.Algorithm]string{
		provider.MLDSA44:        "2.16.840.1.101.3.4.3.17",
		provider.MLDSA65:        "2.16.840.1.101.3.4.3.18",
		provider.MLDSA87:        "2.16.840.1.101.3.4.3.19",
		provider.SLHDSASHA2128s: "2.16.840.1.101.3.4.3.20",
		provider.SLHDSASHA2128f: "2.16.840.1.101.3.4.3.21",
	}
	for _, alg := range pqc.Algorithms() {
		n, _ := pqc.SeedSize(alg)
		k, err := pqc.NewFromSeed(testSeed(n, 6), pqc.Options{Algorithm: alg})
		if err != nil {
			t.Fatal(err)
		}
		data, _ := k.PublicKeyPEM()
		block, _ := pem.Decode(data)
		if block == nil || block.Type != "PUBLIC KEY" {
			t.Fatalf("%s: no PUBLIC KEY block", alg)
		}
		var spki struct {
			Algorithm struct {
				Algorithm  asn1.ObjectIdentifier
				Parameters asn1.RawValue `asn1:"optional"`
			}
			PublicKey asn1.BitString
		}
		if _, err := asn1.Unmarshal(block.Bytes, &spki); err != nil {
			t.Fatalf("%s: %v", alg, err)
		}
		if got := spki.Algorithm.Algorithm.String(); got != oids[alg] {
			t.Errorf("%s: OID %s, want %s", alg, got, oids[alg])
		}
		if len(spki.Algorithm.Parameters.FullBytes) != 0 {
			t.Errorf("%s: parameters present", alg)
		}
		if hex.EncodeToString(spki.PublicKey.Bytes) != hex.EncodeToString(k.PublicKeyBytes()) {
			t.Errorf("%s: the BIT STRING is not the raw public key", alg)
		}
		gotAlg, raw, err := pqc.ParsePublicKeyPEM(data)
		if err != nil || gotAlg != alg || hex.EncodeToString(raw) != hex.EncodeToString(k.PublicKeyBytes()) {
			t.Errorf("%s: round trip gave %s, %x…, %v", alg, gotAlg, raw[:4], err)
		}
		if provider.KeyIDFromPublic(block.Bytes) != k.Info().ID {
			t.Errorf("%s: key ID is not derived from the SPKI", alg)
		}
		k.Close()
	}
	// Parameters present (a NULL) and trailing data are refused.
	k, _ := pqc.NewFromSeed(testSeed(32, 6), pqc.Options{})
	der := k.PublicKeyDER()
	if _, _, err := pqc.ParsePublicKey(append(der, 0)); !errors.Is(err, provider.ErrInvalidConfig) {
		t.Errorf("trailing data: %v", err)
	}
	withNull := withAlgorithmParameters(t, der)
	if _, _, err := pqc.ParsePublicKey(withNull); !errors.Is(err, provider.ErrInvalidConfig) || !strings.Contains(err.Error(), "parameters") {
		t.Errorf("parameters present: %v", err)
	}
}

// TestCorruptedPrivateKey loads expanded private keys with one part corrupted
// and checks each is refused, naming the problem; the intact key loads and
// equals the key from its seed.
func TestCorruptedPrivateKey(t *testing.T) {
	var xi [32]byte
	copy(xi[:], testSeed(32, 7))
	_, sk65 := mldsa65.NewKeyFromSeed(&xi)
	good65 := sk65.Bytes()
	_, sk44 := mldsa44.NewKeyFromSeed(&xi)
	good44 := sk44.Bytes()
	slhSeed := testSeed(48, 7)
	_, slhSK, err := slhdsa.GenerateKey(bytes.NewReader(slhSeed), slhdsa.SHA2_128f)
	if err != nil {
		t.Fatal(err)
	}
	goodSLH, _ := slhSK.MarshalBinary()

	// ML-DSA-65: ρ 32 ‖ K 32 ‖ tr 64 ‖ s1 5×128 ‖ s2 6×128 ‖ t0 6×416.
	// ML-DSA-44: ρ 32 ‖ K 32 ‖ tr 64 ‖ s1 4×96 ‖ s2 4×96 ‖ t0 4×416.
	const s1At, s2At65, t0At65, s2At44 = 128, 128 + 5*128, 128 + 11*128, 128 + 4*96
	tests := []struct {
		name  string
		alg   provider.Algorithm
		key   []byte
		edit  func(b []byte)
		says  string
		valid bool
	}{
		{"intact ML-DSA-65", provider.MLDSA65, good65, func([]byte) {}, "", true},
		{"intact ML-DSA-44", provider.MLDSA44, good44, func([]byte) {}, "", true},
		{"intact SLH-DSA", provider.SLHDSASHA2128f, goodSLH, func([]byte) {}, "", true},
		{"ML-DSA-65 s1 coefficient 15 (η=4)", provider.MLDSA65, good65, func(b []byte) { b[s1At] |= 0x0f }, "s1[0]", false},
		{"ML-DSA-65 s2 coefficient 9", provider.MLDSA65, good65, func(b []byte) { b[s2At65+7] = b[s2At65+7]&0x0f | 0x90 }, "s2[0]", false},
		{"ML-DSA-44 s1 coefficient 7 (η=2)", provider.MLDSA44, good44, func(b []byte) { b[s1At] |= 0x07 }, "s1[0]", false},
		{"ML-DSA-44 s2 coefficient 5", provider.MLDSA44, good44, func(b []byte) { b[s2At44+3] = b[s2At44+3]&^0x07 | 0x05 }, "s2[0]", false},
		{"ML-DSA-65 s1 in range but changed", provider.MLDSA65, good65, func(b []byte) { b[s1At] = b[s1At]&0xf0 | (b[s1At]&0x0f+1)%9 }, "corrupted", false},
		{"ML-DSA-65 t0 low bit", provider.MLDSA65, good65, func(b []byte) { b[t0At65+100] ^= 1 }, "t0", false},
		{"ML-DSA-65 tr", provider.MLDSA65, good65, func(b []byte) { b[64] ^= 0x80 }, "tr", false},
		{"ML-DSA-65 ρ", provider.MLDSA65, good65, func(b []byte) { b[0] ^= 1 }, "corrupted", false},
		{"ML-DSA-65 truncated", provider.MLDSA65, good65[:len(good65)-1], func([]byte) {}, "exactly 4032", false},
		{"SLH-DSA PK.root", provider.SLHDSASHA2128f, goodSLH, func(b []byte) { b[63] ^= 1 }, "PK.root", false},
		{"SLH-DSA SK.seed", provider.SLHDSASHA2128f, goodSLH, func(b []byte) { b[0] ^= 1 }, "PK.root", false},
		{"SLH-DSA PK.seed", provider.SLHDSASHA2128f, goodSLH, func(b []byte) { b[32] ^= 1 }, "PK.root", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := append([]byte(nil), tt.key...)
			tt.edit(b)
			// Through the URI, from a hex key file.
			path := writeSecretFile(t, "sk", b)
			k, err := openPQC(context.Background(), fmt.Sprintf("pqc:alg=%s;key-source=file:%s", tt.alg, path))
			if tt.valid {
				if err != nil {
					t.Fatalf("intact key refused: %v", err)
				}
				defer k.Close()
				n, _ := pqc.SeedSize(tt.alg)
				seed := testSeed(n, 7)
				fromSeed, err := pqc.NewFromSeed(seed, pqc.Options{Algorithm: tt.alg})
				if err != nil {
					t.Fatal(err)
				}
				if fromSeed.Info().ID != k.Info().ID {
					t.Errorf("the expanded key and its seed give different keys")
				}
				return
			}
			if err == nil {
				k.Close()
				t.Fatal("corrupted key accepted")
			}
			if !errors.Is(err, provider.ErrInvalidConfig) || !strings.Contains(err.Error(), tt.says) {
				t.Errorf("error %q, want ErrInvalidConfig saying %q", err, tt.says)
			}
		})
	}
}

// TestGenerate covers the keygen path: a fresh seed file of mode 0600 holding
// the seed as hex and a newline, never overwritten, whose key the returned
// KeyInfo describes.
func TestGenerate(t *testing.T) {
	ctx := context.Background()
	for _, alg := range []provider.Algorithm{provider.MLDSA65, provider.MLDSA44, provider.SLHDSASHA2128f} {
		t.Run(string(alg), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "seed")
			uri := fmt.Sprintf("pqc:alg=%s;seed-source=file:%s", alg, path)
			info, err := provider.Generate(ctx, uri, provider.GenerateRequest{})
			if err != nil {
				t.Fatal(err)
			}
			st, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if st.Mode().Perm() != 0o600 {
				t.Errorf("seed file mode %04o, want 0600", st.Mode().Perm())
			}
			data, _ := os.ReadFile(path)
			n, _ := pqc.SeedSize(alg)
			text := strings.TrimSuffix(string(data), "\n")
			if len(data) != 2*n+1 || data[len(data)-1] != '\n' {
				t.Errorf("seed file holds %d bytes, want %d hex digits and a newline", len(data), 2*n)
			}
			if _, err := hex.DecodeString(text); err != nil || strings.ToLower(text) != text {
				t.Errorf("seed file is not lowercase hex: %v", err)
			}
			k, err := provider.Open(ctx, uri)
			if err != nil {
				t.Fatal(err)
			}
			defer k.Close()
			if k.Info() != info {
				t.Errorf("Generate returned %+v, the key opens as %+v", info, k.Info())
			}
			// Never overwrite.
			if _, err := provider.Generate(ctx, uri, provider.GenerateRequest{}); !errors.Is(err, provider.ErrInvalidConfig) {
				t.Errorf("second Generate to the same file: %v, want ErrInvalidConfig", err)
			}
			if again, _ := os.ReadFile(path); string(again) != string(data) {
				t.Error("the seed file changed")
			}
		})
	}
	t.Run("two seeds differ", func(t *testing.T) {
		dir := t.TempDir()
		a, err := provider.Generate(ctx, "pqc:seed-source=file:"+filepath.Join(dir, "a"), provider.GenerateRequest{Algorithm: provider.MLDSA87})
		if err != nil {
			t.Fatal(err)
		}
		b, err := provider.Generate(ctx, "pqc:seed-source=file:"+filepath.Join(dir, "b"), provider.GenerateRequest{Algorithm: provider.MLDSA87})
		if err != nil {
			t.Fatal(err)
		}
		if a.ID == b.ID || a.Algorithm != provider.MLDSA87 {
			t.Errorf("keys %+v and %+v", a, b)
		}
	})
	t.Run("import", func(t *testing.T) {
		seed := testSeed(32, 8)
		src := writeSecretFile(t, "import", seed)
		path := filepath.Join(t.TempDir(), "seed")
		info, err := provider.Generate(ctx, "pqc:seed-source=file:"+path, provider.GenerateRequest{Import: "file:" + src})
		if err != nil {
			t.Fatal(err)
		}
		k, _ := pqc.NewFromSeed(seed, pqc.Options{})
		if info.ID != k.Info().ID {
			t.Error("the imported seed gives another key")
		}
	})
	bad := []struct {
		name, uri string
		req       provider.GenerateRequest
		want      error
	}{
		{"no seed-source", "pqc:alg=ML-DSA-65", provider.GenerateRequest{}, provider.ErrInvalidConfig},
		{"seed-source from env", "pqc:seed-source=env:X", provider.GenerateRequest{}, provider.ErrInvalidConfig},
		{"key-source", "pqc:key-source=file:/tmp/x", provider.GenerateRequest{}, provider.ErrInvalidConfig},
		{"algorithms disagree", "pqc:alg=ML-DSA-44;seed-source=file:" + filepath.Join(t.TempDir(), "s"), provider.GenerateRequest{Algorithm: provider.MLDSA87}, provider.ErrInvalidConfig},
		{"unknown algorithm", "pqc:seed-source=file:" + filepath.Join(t.TempDir(), "s"), provider.GenerateRequest{Algorithm: "RSA-PSS-SHA256"}, provider.ErrUnsupported},
		{"import of a short seed", "pqc:seed-source=file:" + filepath.Join(t.TempDir(), "s"), provider.GenerateRequest{Import: "file:" + writeSecretFile(t, "short", testSeed(31, 1))}, provider.ErrInvalidConfig},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := provider.Generate(ctx, tt.uri, tt.req); !errors.Is(err, tt.want) {
				t.Errorf("Generate(%q): %v, want %v", tt.uri, err, tt.want)
			}
		})
	}
}

// TestSignDigest checks the crypto.Signer path (provider.DigestSigner,
// which provider.CryptoSigner calls): pure mode takes the message with
// crypto.Hash(0) and refuses a hash.
func TestSignDigest(t *testing.T) {
	ctx := context.Background()
	k, _ := pqc.NewFromSeed(testSeed(32, 10), pqc.Options{})
	defer k.Close()
	msg := []byte("certificate to be signed")
	sig, err := k.SignDigest(ctx, msg, crypto.Hash(0))
	if err != nil {
		t.Fatal(err)
	}
	if err := k.Verify(ctx, msg, sig); err != nil {
		t.Errorf("Verify of the SignDigest signature: %v", err)
	}
	if !verifyWithPublic(t, k.Public(), msg, sig) {
		t.Errorf("the key's public key rejects its SignDigest signature")
	}
	digest := make([]byte, 32)
	if _, err := k.SignDigest(ctx, digest, crypto.SHA256); !errors.Is(err, provider.ErrUnsupported) {
		t.Errorf("SignDigest with SHA-256: %v, want ErrUnsupported", err)
	}
}

// TestPublicAfterClose checks that the public key handed out by Public stays
// usable after Close zeroes the private key.
func TestPublicAfterClose(t *testing.T) {
	ctx := context.Background()
	k, err := pqc.NewFromSeed(testSeed(32, 11), pqc.Options{})
	if err != nil {
		t.Fatal(err)
	}
	pub := k.Public()
	msg := []byte("order 11")
	sig, err := k.Sign(ctx, msg)
	if err != nil {
		t.Fatal(err)
	}
	k.Close()
	if !verifyWithPublic(t, pub, msg, sig) {
		t.Fatal("the public key from Public no longer verifies after Close")
	}
	if err := k.Verify(ctx, msg, sig); !errors.Is(err, provider.ErrClosed) {
		t.Fatalf("Verify after Close: %v", err)
	}
}

// TestOpenAlgorithmAnyCase: alg= matches the algorithm's name in any case,
// and the key reports it in its one spelling.
func TestOpenAlgorithmAnyCase(t *testing.T) {
	dir := t.TempDir()
	seed := filepath.Join(dir, "seed")
	if err := os.WriteFile(seed, []byte(strings.Repeat("ab", 32)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, alg := range []string{"ml-dsa-65", "Ml-Dsa-65", "ML-DSA-65"} {
		k, err := provider.Open(context.Background(), "pqc:alg="+alg+";seed-source=file:"+seed)
		if err != nil {
			t.Fatalf("alg=%s: %v", alg, err)
		}
		if got := k.Info().Algorithm; got != provider.MLDSA65 {
			t.Errorf("alg=%s: the key says %q", alg, got)
		}
		k.Close()
	}
}
