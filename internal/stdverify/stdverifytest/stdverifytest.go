// Package stdverifytest is the shared table of signatures that every local
// verifier of standard signatures must judge identically: Wycheproof's
// vectors for ECDSA P-256 and P-384 (DER), Ed25519, RSA-PSS-SHA256 with a
// 32-byte salt and RSA-PKCS1-SHA256, fetched through the Go module proxy
// (internal/testenv.WycheproofFile).
//
// A backend's test builds its own verifier over each vector's public key and
// calls Run, so that a backend which stops calling internal/stdverify, or
// calls it with other parameters, fails on the vectors where the rules part.
package stdverifytest

import (
	"errors"
	"os"
	"testing"

	"github.com/tinywindow/tinywindow/internal/testenv"
	"github.com/tinywindow/tinywindow/internal/wycheproof"
	"github.com/tinywindow/tinywindow/provider"
)

// Case is one Wycheproof vector.
type Case = wycheproof.Case

// Files names the Wycheproof file of each algorithm in the table.
var Files = wycheproof.Files

// Algorithms lists the algorithms of the table that every backend with
// local verification holds, in a fixed order.
var Algorithms = []provider.Algorithm{
	provider.ECDSAP256SHA256, provider.ECDSAP384SHA384, provider.Ed25519,
	provider.RSAPSSSHA256, provider.RSAPKCS1SHA256,
}

// AllAlgorithms is Algorithms and ECDSA-P521-SHA512, which only some
// backends (pem) hold.
var AllAlgorithms = append(append([]provider.Algorithm(nil), Algorithms...), provider.ECDSAP521SHA512)

// Cases returns the vectors of alg, or skips t (fails it under CI) when
// the Wycheproof module cannot be fetched.
func Cases(t testing.TB, alg provider.Algorithm) []Case {
	t.Helper()
	name, ok := Files[alg]
	if !ok {
		t.Fatalf("stdverifytest: no Wycheproof file for %s", alg)
	}
	data, err := os.ReadFile(testenv.WycheproofFile(t, name))
	if err != nil {
		t.Fatal(err)
	}
	cases, err := wycheproof.Parse(alg, data)
	if err != nil {
		t.Fatal(err)
	}
	return cases
}

// Verifier is a backend's local verification of sig over msg, with a key of
// algorithm alg whose public key is pub, built the way the backend builds
// its keys.
type Verifier = wycheproof.Verifier

// Run judges every vector of the given algorithms with verify, one subtest
// per algorithm: a valid vector must give nil, any other an error wrapping
// provider.ErrInvalidSignature (an error of another kind means the backend
// did not check the signature, and fails too).
func Run(t *testing.T, verify Verifier, algs ...provider.Algorithm) {
	t.Helper()
	if len(algs) == 0 {
		t.Fatal("stdverifytest.Run: no algorithms")
	}
	for _, alg := range algs {
		t.Run(string(alg), func(t *testing.T) {
			valid, invalid, errs := wycheproof.Judge(Cases(t, alg), wycheproof.Verifier(verify))
			for _, err := range errs {
				t.Error(err)
			}
			t.Logf("%s: %d valid vectors verify, %d others are rejected as invalid", alg, valid, invalid)
		})
	}
}

// Agree checks that public, a verify-only key opened from the public key of
// signer (pem:pub-source= with what `tinywindow pubkey` prints), judges
// signatures exactly as signer itself does: for signatures signer makes over
// several messages, and for each of them altered (a bit flipped at the start,
// middle and end, truncated, extended, over another message), both must
// return nil or both an error wrapping provider.ErrInvalidSignature. The
// valid signatures must verify. It also checks that both keys have the same
// algorithm.
func Agree(t *testing.T, signer provider.Key, public provider.Verifier) {
	t.Helper()
	if got, want := public.Info().Algorithm, signer.Info().Algorithm; got != want {
		t.Fatalf("the public key is %s, the signing key %s", got, want)
	}
	ctx := t.Context()
	var agreed, refused int
	for i, msg := range [][]byte{nil, []byte("m"), []byte("8=FIX.4.4|35=D|55=EURUSD|54=1|38=1000000|"), make([]byte, 1<<12)} {
		sig, err := signer.Sign(ctx, msg)
		if err != nil {
			t.Fatalf("message %d: Sign: %v", i, err)
		}
		variants := []struct {
			name     string
			msg, sig []byte
		}{
			{"as signed", msg, sig},
			{"first bit flipped", msg, flip(sig, 0)},
			{"middle bit flipped", msg, flip(sig, len(sig)/2)},
			{"last bit flipped", msg, flip(sig, len(sig)-1)},
			{"truncated", msg, sig[:len(sig)-1]},
			{"extended", msg, append(append([]byte(nil), sig...), 0)},
			{"empty", msg, nil},
			{"other message", append(append([]byte(nil), msg...), 'x'), sig},
		}
		for _, v := range variants {
			errB := signer.Verify(ctx, v.msg, v.sig)
			errP := public.Verify(ctx, v.msg, v.sig)
			for who, err := range map[string]error{"the signing backend": errB, "the public key": errP} {
				if err != nil && !errors.Is(err, provider.ErrInvalidSignature) {
					t.Errorf("message %d, %s: %s could not decide: %v", i, v.name, who, err)
				}
			}
			switch {
			case (errB == nil) != (errP == nil):
				t.Errorf("message %d, %s: the signing backend says %v, the public key %v", i, v.name, errB, errP)
			case v.name == "as signed" && errP != nil:
				t.Errorf("message %d: the signature does not verify: %v", i, errP)
			case errP == nil:
				agreed++
			default:
				refused++
			}
		}
	}
	t.Logf("%s: %d signatures verify and %d altered ones are refused, alike through the backend and the public key", signer.Info().Algorithm, agreed, refused)
}

// flip returns a copy of b with the low bit of byte i flipped.
func flip(b []byte, i int) []byte {
	c := append([]byte(nil), b...)
	c[i] ^= 1
	return c
}
