package composite

import (
	"crypto"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/asn1"
	"fmt"
	"hash"
	"strings"

	"github.com/tinywindow/tinywindow/provider"
)

// Draft is the version of the IETF LAMPS composite ML-DSA specification this
// package implements: its combinations, object identifiers, labels, message
// representative and encodings. It is the version tink-go v2.9.0 implements.
// Moving to the final RFC changes this constant and the table below.
const Draft = "draft-ietf-lamps-pq-composite-sigs-15"

// prefix is the draft's domain-separation prefix of the message
// representative M'.
const prefix = "CompositeAlgorithmSignatures2025"

// The combinations the draft defines whose classical half TinyWindow's
// backends can hold. Each is named as in the draft, without its "id-"; the
// names are provider algorithms.
const (
	MLDSA44RSA2048PSSSHA256    = provider.MLDSA44RSA2048PSSSHA256
	MLDSA44RSA2048PKCS15SHA256 = provider.MLDSA44RSA2048PKCS15SHA256
	MLDSA44Ed25519SHA512       = provider.MLDSA44Ed25519SHA512
	MLDSA44ECDSAP256SHA256     = provider.MLDSA44ECDSAP256SHA256
	MLDSA65RSA3072PSSSHA512    = provider.MLDSA65RSA3072PSSSHA512
	MLDSA65RSA3072PKCS15SHA512 = provider.MLDSA65RSA3072PKCS15SHA512
	MLDSA65ECDSAP256SHA512     = provider.MLDSA65ECDSAP256SHA512
	MLDSA65ECDSAP384SHA512     = provider.MLDSA65ECDSAP384SHA512
	MLDSA65Ed25519SHA512       = provider.MLDSA65Ed25519SHA512
	MLDSA87ECDSAP384SHA512     = provider.MLDSA87ECDSAP384SHA512
	MLDSA87RSA3072PSSSHA512    = provider.MLDSA87RSA3072PSSSHA512
)

// classical describes the classical half of a combination.
type classical struct {
	alg     provider.Algorithm // the provider algorithm a component key must have
	curve   string             // "P-256" or "P-384" for ECDSA
	rsaBits int                // exact modulus size for RSA
}

// combination is one composite algorithm of the draft.
type combination struct {
	name      provider.Algorithm
	oid       asn1.ObjectIdentifier
	label     string           // the draft's Label, bound into M' and used as the ML-DSA context
	preHash   crypto.Hash      // PH, applied to the message
	newHash   func() hash.Hash // PH's constructor
	mldsa     provider.Algorithm
	classical classical

	// Sizes of the ML-DSA half, from FIPS 204.
	mldsaPublicKeySize, mldsaSignatureSize int
}

func oid(n int) asn1.ObjectIdentifier { return asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 6, n} }

var (
	mldsa44 = struct {
		alg     provider.Algorithm
		pk, sig int
	}{provider.MLDSA44, 1312, 2420}
	mldsa65 = struct {
		alg     provider.Algorithm
		pk, sig int
	}{provider.MLDSA65, 1952, 3309}
	mldsa87 = struct {
		alg     provider.Algorithm
		pk, sig int
	}{provider.MLDSA87, 2592, 4627}
)

func combo(name provider.Algorithm, n int, ml struct {
	alg     provider.Algorithm
	pk, sig int
}, ph crypto.Hash, c classical) *combination {
	nh := sha512.New
	if ph == crypto.SHA256 {
		nh = sha256.New
	}
	return &combination{
		name: name, oid: oid(n), label: "COMPSIG-" + string(name), preHash: ph, newHash: nh,
		mldsa: ml.alg, classical: c, mldsaPublicKeySize: ml.pk, mldsaSignatureSize: ml.sig,
	}
}

var (
	rsaPSS2048   = classical{alg: provider.RSAPSSSHA256, rsaBits: 2048}
	rsaPKCS12048 = classical{alg: provider.RSAPKCS1SHA256, rsaBits: 2048}
	rsaPSS3072   = classical{alg: provider.RSAPSSSHA256, rsaBits: 3072}
	rsaPKCS13072 = classical{alg: provider.RSAPKCS1SHA256, rsaBits: 3072}
	ed25519Trad  = classical{alg: provider.Ed25519}
	p256         = classical{alg: provider.ECDSAP256SHA256, curve: "P-256"}
	p384         = classical{alg: provider.ECDSAP384SHA384, curve: "P-384"}
)

// combinations is the draft's table (its OIDs 1.3.6.1.5.5.7.6.37 to .54),
// less the combinations whose classical half no TinyWindow backend holds.
var combinations = []*combination{
	combo(MLDSA44RSA2048PSSSHA256, 37, mldsa44, crypto.SHA256, rsaPSS2048),
	combo(MLDSA44RSA2048PKCS15SHA256, 38, mldsa44, crypto.SHA256, rsaPKCS12048),
	combo(MLDSA44Ed25519SHA512, 39, mldsa44, crypto.SHA512, ed25519Trad),
	combo(MLDSA44ECDSAP256SHA256, 40, mldsa44, crypto.SHA256, p256),
	combo(MLDSA65RSA3072PSSSHA512, 41, mldsa65, crypto.SHA512, rsaPSS3072),
	combo(MLDSA65RSA3072PKCS15SHA512, 42, mldsa65, crypto.SHA512, rsaPKCS13072),
	combo(MLDSA65ECDSAP256SHA512, 45, mldsa65, crypto.SHA512, p256),
	combo(MLDSA65ECDSAP384SHA512, 46, mldsa65, crypto.SHA512, p384),
	combo(MLDSA65Ed25519SHA512, 48, mldsa65, crypto.SHA512, ed25519Trad),
	combo(MLDSA87ECDSAP384SHA512, 49, mldsa87, crypto.SHA512, p384),
	combo(MLDSA87RSA3072PSSSHA512, 52, mldsa87, crypto.SHA512, rsaPSS3072),
}

// notOffered names the draft's combinations that TinyWindow does not offer,
// with the reason, so that asking for one says why rather than "unknown".
var notOffered = map[string]string{
	"MLDSA65-RSA4096-PSS-SHA512":           "RSA-4096 signs with SHA-384 here, and no backend offers RSA with SHA-384",
	"MLDSA65-RSA4096-PKCS15-SHA512":        "RSA-4096 signs with SHA-384 here, and no backend offers RSA with SHA-384",
	"MLDSA87-RSA4096-PSS-SHA512":           "RSA-4096 signs with SHA-384 here, and no backend offers RSA with SHA-384",
	"MLDSA87-ECDSA-P521-SHA512":            "no backend offers ECDSA P-521",
	"MLDSA65-ECDSA-brainpoolP256r1-SHA512": "no backend offers brainpool curves",
	"MLDSA87-ECDSA-brainpoolP384r1-SHA512": "no backend offers brainpool curves",
	"MLDSA87-Ed448-SHAKE256":               "no backend offers Ed448",
}

// Algorithms returns the composite algorithms this package offers, in the
// draft's order.
func Algorithms() []provider.Algorithm {
	out := make([]provider.Algorithm, len(combinations))
	for i, c := range combinations {
		out[i] = c.name
	}
	return out
}

// lookup returns the combination named name, or an error that says why it is
// not offered.
func lookup(name string) (*combination, error) {
	if len(name) > 3 && strings.EqualFold(name[:3], "id-") {
		name = name[3:]
	}
	for _, c := range combinations {
		if strings.EqualFold(string(c.name), name) {
			return c, nil
		}
	}
	for n, why := range notOffered {
		if strings.EqualFold(n, name) {
			return nil, fmt.Errorf("%w: composite algorithm %q is defined by %s but not offered: %s", provider.ErrUnsupported, n, Draft, why)
		}
	}
	return nil, fmt.Errorf("%w: %q is not a composite algorithm of %s; use one of %v", provider.ErrInvalidConfig, name, Draft, Algorithms())
}

func lookupOID(o asn1.ObjectIdentifier) (*combination, bool) {
	for _, c := range combinations {
		if c.oid.Equal(o) {
			return c, true
		}
	}
	return nil, false
}

// OID returns the object identifier the draft assigns to the composite
// algorithm alg.
func OID(alg provider.Algorithm) (asn1.ObjectIdentifier, error) {
	c, err := lookup(string(alg))
	if err != nil {
		return nil, err
	}
	return append(asn1.ObjectIdentifier(nil), c.oid...), nil
}

// MessageRepresentative returns the draft's message representative M' of
// msg for the composite algorithm alg: what each component signs (the
// ML-DSA component with the algorithm's Label as its context string).
func MessageRepresentative(alg provider.Algorithm, msg []byte) ([]byte, error) {
	c, err := lookup(string(alg))
	if err != nil {
		return nil, err
	}
	return c.messageRepresentative(nil, msg), nil
}

// messageRepresentative appends the draft's M' for msg to dst:
//
//	M' = Prefix ‖ Label ‖ len(ctx) ‖ ctx ‖ PH(msg)
//
// with an empty application context, so len(ctx) is the single byte 0.
func (c *combination) messageRepresentative(dst, msg []byte) []byte {
	h := c.newHash()
	h.Write(msg)
	dst = append(dst, prefix...)
	dst = append(dst, c.label...)
	dst = append(dst, 0)
	return h.Sum(dst)
}

// Label returns the draft's label of the composite algorithm alg: the
// domain separator bound into the message representative and the FIPS 204
// context string of the ML-DSA component.
func Label(alg provider.Algorithm) (string, error) {
	c, err := lookup(string(alg))
	if err != nil {
		return "", err
	}
	return c.label, nil
}
