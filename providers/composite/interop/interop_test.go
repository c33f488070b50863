package interop

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"testing"

	"github.com/tink-crypto/tink-go/v2/key"
	"github.com/tink-crypto/tink-go/v2/keyset"
	"github.com/tink-crypto/tink-go/v2/signature"
	"github.com/tink-crypto/tink-go/v2/signature/compositemldsa"
	tinkecdsa "github.com/tink-crypto/tink-go/v2/signature/ecdsa"
	tinked25519 "github.com/tink-crypto/tink-go/v2/signature/ed25519"
	"github.com/tink-crypto/tink-go/v2/signature/mldsa"
	"github.com/tink-crypto/tink-go/v2/signature/rsassapkcs1"
	"github.com/tink-crypto/tink-go/v2/signature/rsassapss"

	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/composite"
	"github.com/tinywindow/tinywindow/providers/composite/internal/memkey"
	_ "github.com/tinywindow/tinywindow/providers/pqc"
)

func init() { memkey.Register() }

// pair is one combination offered by both implementations.
type pair struct {
	alg       provider.Algorithm
	oid       asn1.ObjectIdentifier // written out here from the draft, not taken from either implementation
	instance  compositemldsa.MLDSAInstance
	classical compositemldsa.ClassicalAlgorithm
	mldsaPK   int    // ML-DSA public key size
	trad      string // memkey URI of our classical component
}

func draftOID(n int) asn1.ObjectIdentifier { return asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 6, n} }

var pairs = []pair{
	{composite.MLDSA44Ed25519SHA512, draftOID(39), compositemldsa.MLDSA44, compositemldsa.Ed25519, 1312, "memkey:alg=Ed25519;seed=i"},
	{composite.MLDSA44ECDSAP256SHA256, draftOID(40), compositemldsa.MLDSA44, compositemldsa.ECDSAP256, 1312, "memkey:alg=ECDSA-P256-SHA256;seed=i"},
	{composite.MLDSA65RSA3072PSSSHA512, draftOID(41), compositemldsa.MLDSA65, compositemldsa.RSA3072PSS, 1952, "memkey:alg=RSA-PSS-SHA256;bits=3072;seed=i"},
	{composite.MLDSA65RSA3072PKCS15SHA512, draftOID(42), compositemldsa.MLDSA65, compositemldsa.RSA3072PKCS1, 1952, "memkey:alg=RSA-PKCS1-SHA256;bits=3072;seed=i"},
	{composite.MLDSA65ECDSAP256SHA512, draftOID(45), compositemldsa.MLDSA65, compositemldsa.ECDSAP256, 1952, "memkey:alg=ECDSA-P256-SHA256;seed=i"},
	{composite.MLDSA65ECDSAP384SHA512, draftOID(46), compositemldsa.MLDSA65, compositemldsa.ECDSAP384, 1952, "memkey:alg=ECDSA-P384-SHA384;seed=i"},
	{composite.MLDSA65Ed25519SHA512, draftOID(48), compositemldsa.MLDSA65, compositemldsa.Ed25519, 1952, "memkey:alg=Ed25519;seed=i"},
	{composite.MLDSA87ECDSAP384SHA512, draftOID(49), compositemldsa.MLDSA87, compositemldsa.ECDSAP384, 2592, "memkey:alg=ECDSA-P384-SHA384;seed=i"},
	{composite.MLDSA87RSA3072PSSSHA512, draftOID(52), compositemldsa.MLDSA87, compositemldsa.RSA3072PSS, 2592, "memkey:alg=RSA-PSS-SHA256;bits=3072;seed=i"},
}

func (p pair) params(t *testing.T) *compositemldsa.Parameters {
	t.Helper()
	params, err := compositemldsa.NewParameters(p.classical, p.instance, compositemldsa.VariantNoPrefix)
	if err != nil {
		t.Fatal(err)
	}
	return params
}

func (p pair) mldsaLevel() string {
	switch p.instance {
	case compositemldsa.MLDSA44:
		return "ML-DSA-44"
	case compositemldsa.MLDSA65:
		return "ML-DSA-65"
	}
	return "ML-DSA-87"
}

type spki struct {
	Algorithm struct {
		Algorithm  asn1.ObjectIdentifier
		Parameters asn1.RawValue `asn1:"optional"`
	}
	PublicKey asn1.BitString
}

var messages = [][]byte{nil, []byte("order 7: sell 5 ABC @ 99.5"), make([]byte, 4096)}

// TestTinkVerifiesTinyWindow signs with TinyWindow composite keys (ML-DSA
// in pqc, classical in memory), hands tink-go the SubjectPublicKeyInfo, and
// has tink-go verify; a signature over another message must fail in both.
func TestTinkVerifiesTinyWindow(t *testing.T) {
	for _, p := range pairs {
		t.Run(string(p.alg), func(t *testing.T) {
			ctx := t.Context()
			seed := filepath.Join(t.TempDir(), "seed")
			if err := os.WriteFile(seed, []byte(hex.EncodeToString(make([]byte, 32))+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			k, err := composite.Open(ctx, composite.URI(p.alg, fmt.Sprintf("pqc:alg=%s;seed-source=file:%s", p.mldsaLevel(), seed), p.trad))
			if err != nil {
				t.Fatal(err)
			}
			defer k.Close()
			v := tinkVerifier(t, p, k.(*composite.Key).PublicKeyDER())
			for _, msg := range messages {
				sig, err := k.Sign(ctx, msg)
				if err != nil {
					t.Fatal(err)
				}
				if err := v.Verify(sig, msg); err != nil {
					t.Fatalf("tink-go rejects a TinyWindow signature of %d bytes: %v", len(msg), err)
				}
				if err := v.Verify(sig, append(msg, 0)); err == nil {
					t.Fatal("tink-go accepts a TinyWindow signature for another message")
				}
			}
		})
	}
}

// tinkVerifier builds a tink-go verifier from a DER composite
// SubjectPublicKeyInfo, decoded here by the draft's rules: the OID, then the
// ML-DSA public key followed by the classical one.
func tinkVerifier(t *testing.T, p pair, der []byte) interface{ Verify(sig, msg []byte) error } {
	t.Helper()
	var s spki
	if rest, err := asn1.Unmarshal(der, &s); err != nil || len(rest) != 0 {
		t.Fatalf("SPKI: %v (%d trailing bytes)", err, len(rest))
	}
	if !s.Algorithm.Algorithm.Equal(p.oid) || len(s.Algorithm.Parameters.FullBytes) != 0 {
		t.Fatalf("SPKI algorithm %v (parameters %x), want %v without parameters", s.Algorithm.Algorithm, s.Algorithm.Parameters.FullBytes, p.oid)
	}
	raw := s.PublicKey.Bytes
	params := p.params(t)
	mlParams, err := mldsa.NewParameters(map[compositemldsa.MLDSAInstance]mldsa.Instance{
		compositemldsa.MLDSA44: mldsa.MLDSA44, compositemldsa.MLDSA65: mldsa.MLDSA65, compositemldsa.MLDSA87: mldsa.MLDSA87,
	}[p.instance], mldsa.VariantNoPrefix)
	if err != nil {
		t.Fatal(err)
	}
	mlPub, err := mldsa.NewPublicKey(raw[:p.mldsaPK], 0, mlParams)
	if err != nil {
		t.Fatal(err)
	}
	tradRaw := raw[p.mldsaPK:]
	var trad key.Key
	switch p.classical {
	case compositemldsa.Ed25519:
		ep, _ := tinked25519.NewParameters(tinked25519.VariantNoPrefix)
		trad, err = tinked25519.NewPublicKey(tradRaw, 0, ep)
	case compositemldsa.ECDSAP256, compositemldsa.ECDSAP384:
		curve, h := tinkecdsa.NistP256, tinkecdsa.SHA256
		if p.classical == compositemldsa.ECDSAP384 {
			curve, h = tinkecdsa.NistP384, tinkecdsa.SHA384
		}
		ep, perr := tinkecdsa.NewParameters(curve, h, tinkecdsa.DER, tinkecdsa.VariantNoPrefix)
		if perr != nil {
			t.Fatal(perr)
		}
		trad, err = tinkecdsa.NewPublicKey(tradRaw, 0, ep)
	case compositemldsa.RSA3072PSS:
		rk, perr := x509.ParsePKCS1PublicKey(tradRaw)
		if perr != nil {
			t.Fatal(perr)
		}
		ep, perr := rsassapss.NewParameters(rsassapss.ParametersValues{ModulusSizeBits: 3072, SigHashType: rsassapss.SHA256,
			MGF1HashType: rsassapss.SHA256, PublicExponent: rk.E, SaltLengthBytes: 32}, rsassapss.VariantNoPrefix)
		if perr != nil {
			t.Fatal(perr)
		}
		trad, err = rsassapss.NewPublicKey(rk.N.Bytes(), 0, ep)
	case compositemldsa.RSA3072PKCS1:
		rk, perr := x509.ParsePKCS1PublicKey(tradRaw)
		if perr != nil {
			t.Fatal(perr)
		}
		ep, perr := rsassapkcs1.NewParameters(3072, rsassapkcs1.SHA256, rk.E, rsassapkcs1.VariantNoPrefix)
		if perr != nil {
			t.Fatal(perr)
		}
		trad, err = rsassapkcs1.NewPublicKey(rk.N.Bytes(), 0, ep)
	}
	if err != nil {
		t.Fatal(err)
	}
	pub, err := compositemldsa.NewPublicKey(mlPub, trad, 0, params)
	if err != nil {
		t.Fatal(err)
	}
	km := keyset.NewManager()
	id, err := km.AddKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	if err := km.SetPrimary(id); err != nil {
		t.Fatal(err)
	}
	h, err := km.Handle()
	if err != nil {
		t.Fatal(err)
	}
	v, err := signature.NewVerifier(h)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestTinyWindowVerifiesTink has tink-go make keys and sign, encodes tink-go's
// public key as the draft's SubjectPublicKeyInfo, and verifies with a
// TinyWindow verify-only key; a changed message and a signature whose
// classical half comes from another message must fail.
func TestTinyWindowVerifiesTink(t *testing.T) {
	for _, p := range pairs {
		t.Run(string(p.alg), func(t *testing.T) {
			ctx := t.Context()
			km := keyset.NewManager()
			id, err := km.AddNewKeyFromParameters(p.params(t))
			if err != nil {
				t.Fatal(err)
			}
			if err := km.SetPrimary(id); err != nil {
				t.Fatal(err)
			}
			h, err := km.Handle()
			if err != nil {
				t.Fatal(err)
			}
			signer, err := signature.NewSigner(h)
			if err != nil {
				t.Fatal(err)
			}
			entry, err := h.Primary()
			if err != nil {
				t.Fatal(err)
			}
			priv := entry.Key().(*compositemldsa.PrivateKey)
			pk, err := priv.PublicKey()
			if err != nil {
				t.Fatal(err)
			}
			der := draftSPKI(t, p, pk.(*compositemldsa.PublicKey))
			pub, err := composite.ParsePKIXPublicKey(der)
			if err != nil {
				t.Fatal(err)
			}
			v, err := composite.NewVerifier(pub)
			if err != nil {
				t.Fatal(err)
			}
			var sigs [][]byte
			for _, msg := range messages {
				sig, err := signer.Sign(msg)
				if err != nil {
					t.Fatal(err)
				}
				if err := v.Verify(ctx, msg, sig); err != nil {
					t.Fatalf("TinyWindow rejects a tink-go signature of %d bytes: %v", len(msg), err)
				}
				if err := v.Verify(ctx, append(msg, 0), sig); err == nil {
					t.Fatal("TinyWindow accepts a tink-go signature for another message")
				}
				sigs = append(sigs, sig)
			}
			// Splice: ML-DSA half of message 1, classical half of message 2.
			mlSize := map[compositemldsa.MLDSAInstance]int{compositemldsa.MLDSA44: 2420, compositemldsa.MLDSA65: 3309, compositemldsa.MLDSA87: 4627}[p.instance]
			spliced := append(append([]byte(nil), sigs[1][:mlSize]...), sigs[2][mlSize:]...)
			if err := v.Verify(ctx, messages[1], spliced); err == nil {
				t.Fatal("TinyWindow accepts a signature whose classical half signs another message")
			}
		})
	}
}

// draftSPKI encodes a tink-go composite public key as the draft's
// SubjectPublicKeyInfo.
func draftSPKI(t *testing.T, p pair, pub *compositemldsa.PublicKey) []byte {
	t.Helper()
	raw := pub.MLDSAPublicKey().KeyBytes()
	switch c := pub.ClassicalPublicKey().(type) {
	case *tinked25519.PublicKey:
		raw = append(raw, c.KeyBytes()...)
	case *tinkecdsa.PublicKey:
		raw = append(raw, c.PublicPoint()...)
	case *rsassapss.PublicKey:
		e := c.Parameters().(*rsassapss.Parameters).PublicExponent()
		raw = append(raw, x509.MarshalPKCS1PublicKey(&rsa.PublicKey{N: new(big.Int).SetBytes(c.Modulus()), E: e})...)
	case *rsassapkcs1.PublicKey:
		e := c.Parameters().(*rsassapkcs1.Parameters).PublicExponent()
		raw = append(raw, x509.MarshalPKCS1PublicKey(&rsa.PublicKey{N: new(big.Int).SetBytes(c.Modulus()), E: e})...)
	default:
		t.Fatalf("classical key %T", c)
	}
	var s spki
	s.Algorithm.Algorithm = p.oid
	s.PublicKey = asn1.BitString{Bytes: raw, BitLength: 8 * len(raw)}
	der, err := asn1.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

var writeVectors = flag.String("write-vectors", "", "write tink-go signatures as known-answer vectors to this JSON file")

// vector is one tink-go composite signature, for TinyWindow's own tests.
type vector struct {
	Algorithm string `json:"algorithm"`
	SPKI      string `json:"spki"`
	Message   string `json:"message"`
	Signature string `json:"signature"`
}

// TestWriteVectors writes, with -write-vectors FILE, one tink-go signature
// per combination with its public key as the draft's SubjectPublicKeyInfo,
// all hex: providers/composite/testdata/tink-go-v2.9.0.json is made so
//
//	cd providers/composite/interop && go test -run TestWriteVectors -write-vectors ../testdata/tink-go-v2.9.0.json
func TestWriteVectors(t *testing.T) {
	if *writeVectors == "" {
		t.Skip("pass -write-vectors FILE to write known-answer vectors")
	}
	var out []vector
	for _, p := range pairs {
		km := keyset.NewManager()
		id, err := km.AddNewKeyFromParameters(p.params(t))
		if err != nil {
			t.Fatal(err)
		}
		km.SetPrimary(id)
		h, _ := km.Handle()
		signer, err := signature.NewSigner(h)
		if err != nil {
			t.Fatal(err)
		}
		entry, _ := h.Primary()
		pk, _ := entry.Key().(*compositemldsa.PrivateKey).PublicKey()
		msg := []byte("TinyWindow composite ML-DSA known answer: " + string(p.alg))
		sig, err := signer.Sign(msg)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, vector{string(p.alg), hex.EncodeToString(draftSPKI(t, p, pk.(*compositemldsa.PublicKey))), hex.EncodeToString(msg), hex.EncodeToString(sig)})
	}
	data, err := json.MarshalIndent(map[string]any{
		"source":  "tink-go v2.9.0 signature/compositemldsa (VariantNoPrefix), draft-ietf-lamps-pq-composite-sigs-15",
		"vectors": out,
	}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(*writeVectors, append(data, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}
