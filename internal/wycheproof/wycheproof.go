// Package wycheproof reads the signature-verification vectors of C2SP's
// Wycheproof project (testvectors_v1) for the algorithms whose signatures
// internal/stdverify judges: ECDSA P-256, P-384 and P-521 (DER), Ed25519,
// RSA-PSS-SHA256 with a 32-byte salt and RSA-PKCS1-SHA256. The tests fetch
// the pinned files through the Go module proxy; the conformance suite embeds
// them.
package wycheproof

import (
	"crypto"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/tinywindow/tinywindow/provider"
)

// Module is the pinned version of the Wycheproof vectors.
const Module = "github.com/C2SP/wycheproof@v0.0.0-20250901140545-b51abcfb8daf"

// Files names the Wycheproof file of each algorithm it has vectors for.
var Files = map[provider.Algorithm]string{
	provider.ECDSAP256SHA256: "ecdsa_secp256r1_sha256_test.json",
	provider.ECDSAP384SHA384: "ecdsa_secp384r1_sha384_test.json",
	provider.ECDSAP521SHA512: "ecdsa_secp521r1_sha512_test.json",
	provider.Ed25519:         "ed25519_test.json",
	provider.RSAPSSSHA256:    "rsa_pss_2048_sha256_mgf1_32_test.json",
	provider.RSAPKCS1SHA256:  "rsa_signature_2048_sha256_test.json",
}

// Case is one Wycheproof vector.
type Case struct {
	File    string // the Wycheproof file, in testvectors_v1
	TcID    int
	Comment string
	Flags   []string
	Result  string // "valid", "invalid" or "acceptable", as Wycheproof says
	Alg     provider.Algorithm
	Pub     crypto.PublicKey
	Msg     []byte
	Sig     []byte
}

// Valid reports whether the signature must verify: Wycheproof's "valid"
// vectors only. Its "acceptable" vectors (the PKCS #1 v1.5 DigestInfo
// without NULL parameters, for one) are invalid under TinyWindow's rule.
func (c *Case) Valid() bool { return c.Result == "valid" }

func (c *Case) String() string {
	return fmt.Sprintf("%s #%d (%s, %s %v)", c.File, c.TcID, c.Result, c.Comment, c.Flags)
}

type hexBytes []byte

func (h *hexBytes) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := hex.DecodeString(s)
	*h = v
	return err
}

type file struct {
	Algorithm  string
	TestGroups []struct {
		Sha          string
		MgfSha       string
		SLen         *int
		PublicKeyDer hexBytes
		Tests        []struct {
			TcID    int
			Comment string
			Flags   []string
			Msg     hexBytes
			Sig     hexBytes
			Result  string
		}
	}
}

// wantParams are the group parameters each file must have, so that a file
// of other parameters is never judged under the wrong rule.
var wantParams = map[provider.Algorithm]struct {
	algorithm, sha, mgfSha string
	sLen                   int
}{
	provider.ECDSAP256SHA256: {"ECDSA", "SHA-256", "", -1},
	provider.ECDSAP384SHA384: {"ECDSA", "SHA-384", "", -1},
	provider.ECDSAP521SHA512: {"ECDSA", "SHA-512", "", -1},
	provider.Ed25519:         {"EDDSA", "", "", -1},
	provider.RSAPSSSHA256:    {"RSASSA-PSS", "SHA-256", "SHA-256", 32},
	provider.RSAPKCS1SHA256:  {"RSASSA-PKCS1-v1_5", "SHA-256", "", -1},
}

// Parse reads data, the Wycheproof file Files[alg], and returns its
// vectors. It refuses a file of another algorithm or parameters, a vector
// of an unknown result, and a file without vectors.
func Parse(alg provider.Algorithm, data []byte) ([]Case, error) {
	name, ok := Files[alg]
	if !ok {
		return nil, fmt.Errorf("wycheproof: no vectors for %s", alg)
	}
	var f file
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("wycheproof %s: %w", name, err)
	}
	want := wantParams[alg]
	if f.Algorithm != want.algorithm {
		return nil, fmt.Errorf("wycheproof %s holds %s vectors, want %s", name, f.Algorithm, want.algorithm)
	}
	var cases []Case
	for _, g := range f.TestGroups {
		if g.Sha != want.sha || g.MgfSha != want.mgfSha || (g.SLen == nil) != (want.sLen < 0) || g.SLen != nil && *g.SLen != want.sLen {
			return nil, fmt.Errorf("wycheproof %s: a group has sha %q, mgfSha %q, sLen %v; %s wants %q, %q, %d", name, g.Sha, g.MgfSha, g.SLen, alg, want.sha, want.mgfSha, want.sLen)
		}
		pub, err := x509.ParsePKIXPublicKey(g.PublicKeyDer)
		if err != nil {
			return nil, fmt.Errorf("wycheproof %s: public key: %w", name, err)
		}
		for _, tc := range g.Tests {
			switch tc.Result {
			case "valid", "invalid", "acceptable":
			default:
				return nil, fmt.Errorf("wycheproof %s #%d: result %q", name, tc.TcID, tc.Result)
			}
			cases = append(cases, Case{
				File: name, TcID: tc.TcID, Comment: tc.Comment, Flags: tc.Flags, Result: tc.Result,
				Alg: alg, Pub: pub, Msg: tc.Msg, Sig: tc.Sig,
			})
		}
	}
	if len(cases) == 0 {
		return nil, fmt.Errorf("wycheproof %s holds no vectors", name)
	}
	return cases, nil
}

// Verifier is a verification of sig over msg, with a key of algorithm alg
// whose public key is pub.
type Verifier func(alg provider.Algorithm, pub crypto.PublicKey, msg, sig []byte) error

// Judge verifies every case with verify: a valid vector must give nil, any
// other an error wrapping provider.ErrInvalidSignature (an error of another
// kind means the signature was not checked). It returns the counts of valid
// vectors accepted and others rejected, and an error for each case judged
// otherwise.
func Judge(cases []Case, verify Verifier) (valid, invalid int, errs []error) {
	for i := range cases {
		c := &cases[i]
		err := verify(c.Alg, c.Pub, c.Msg, c.Sig)
		switch {
		case c.Valid() && err != nil:
			errs = append(errs, fmt.Errorf("%v: rejected: %w", c, err))
		case !c.Valid() && err == nil:
			errs = append(errs, fmt.Errorf("%v: accepted", c))
		case !c.Valid() && !errors.Is(err, provider.ErrInvalidSignature):
			errs = append(errs, fmt.Errorf("%v: error %w is not ErrInvalidSignature", c, err))
		case c.Valid():
			valid++
		default:
			invalid++
		}
	}
	return valid, invalid, errs
}
