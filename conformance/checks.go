package conformance

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"

	"github.com/tinywindow/tinywindow/internal/stdverify"
	"github.com/tinywindow/tinywindow/provider"
)

// A check returns its status and, for a failure or a skip, why.
type checkFunc func(ctx context.Context, r *run) (Status, string)

// Check is one named check of the suite.
type Check struct {
	Name        string
	Description string
	// Basis says what the check holds the key to; each result names it
	// for the key's algorithm (Result.Standard).
	Basis Basis
	run   checkFunc
}

// run is the state shared by the checks of one run: the subject and one open
// handle to its key.
type run struct {
	subject *Subject
	key     provider.Key
	alg     provider.Algorithm
	// vectors is set by a known-answer check to the number of vectors it
	// judged, for its result.
	vectors int
}

// Checks returns the checks of the suite, in the order they run.
func Checks() []Check { return append([]Check(nil), checks...) }

var checks = []Check{
	{"info/complete", "KeyInfo has an ID, a known algorithm and a backend", BasisContract, checkInfoComplete},
	{"info/stable", "KeyInfo is the same on every call and on every handle to the key", BasisContract, checkInfoStable},
	{"roundtrip/0B", "a signature of the empty message verifies", BasisAlgorithm, roundTrip(0)},
	{"roundtrip/1B", "a signature of a 1-byte message verifies", BasisAlgorithm, roundTrip(1)},
	{"roundtrip/64B", "a signature of a 64-byte message verifies", BasisAlgorithm, roundTrip(64)},
	{"roundtrip/1MiB", "a signature of a 1 MiB message verifies", BasisAlgorithm, roundTrip(1 << 20)},
	{"reject/tampered", "bit flips spread over the signature are each rejected as invalid", BasisAlgorithm, checkTampered},
	{"reject/truncated", "a signature missing its last byte, or half of it, is rejected as invalid", BasisAlgorithm, checkTruncated},
	{"reject/extended", "a signature with an extra byte is rejected as invalid", BasisAlgorithm, checkExtended},
	{"reject/empty", "an empty signature is rejected as invalid", BasisContract, checkEmpty},
	{"reject/nil", "a nil signature is rejected as invalid", BasisContract, checkNil},
	{"reject/changed-message", "a signature does not verify for another message", BasisAlgorithm, checkChangedMessage},
	{"reject/other-key", "a signature by another key of the same algorithm is rejected as invalid", BasisAlgorithm, checkOtherKey},
	{"determinism", "the key signs deterministically or not, as it declares", BasisAlgorithm, checkDeterminism},
	{"sign-append", "SignAppend keeps dst and appends a valid signature", BasisContract, checkSignAppend},
	{"concurrency", "goroutines signing and verifying at once all succeed", BasisContract, checkConcurrency},
	{"context/cancelled", "a cancelled context gives an error that is not ErrInvalidSignature", BasisContract, checkCancelled},
	{"close/idempotent", "Close may be called twice", BasisContract, checkCloseIdempotent},
	{"close/use-after-close", "Sign and Verify after Close fail with ErrClosed", BasisContract, checkUseAfterClose},
	{"publickey/stdlib", "the standard library verifies the key's signatures with its public key, under the rule every backend shares", BasisAlgorithm, checkPublicKeyStdlib},
	{"publickey/pem", "the exported PEM holds the same public key", BasisSPKI, checkPublicKeyPEM},
	{"publickey/crypto-signer", "the crypto.Signer adapter signs digests that the shared rule verifies", BasisAlgorithm, checkCryptoSigner},
	{"kat/wycheproof", "the rule that judges the key's signatures (internal/stdverify) accepts Wycheproof's valid signatures for its algorithm and rejects all others", BasisKnownAnswers, checkWycheproof},
	{"kat/mvp", "an HMAC key derived from one of the MVP's seeds makes the MVP's tags, byte for byte", BasisKnownAnswers, checkMVP},
}

func message(n int, salt byte) []byte {
	m := make([]byte, n)
	for i := range m {
		m[i] = byte(i*31) ^ salt
	}
	return m
}

func failf(format string, args ...any) (Status, string) { return Fail, fmt.Sprintf(format, args...) }

// expectInvalid checks that err is an invalid-signature verdict.
func expectInvalid(what string, err error) (Status, string) {
	switch {
	case err == nil:
		return failf("%s: Verify accepted it", what)
	case !errors.Is(err, provider.ErrInvalidSignature):
		return failf("%s: Verify returned %v, which is not ErrInvalidSignature", what, err)
	}
	return Pass, ""
}

func (r *run) signed(ctx context.Context, n int) ([]byte, []byte, error) {
	msg := message(n, 0x5a)
	sig, err := r.key.Sign(ctx, msg)
	if err != nil {
		return nil, nil, fmt.Errorf("signing %d bytes: %w", n, err)
	}
	return msg, sig, nil
}

func checkInfoComplete(_ context.Context, r *run) (Status, string) {
	info := r.key.Info()
	switch {
	case info.ID == "":
		return failf("empty ID")
	case info.Backend == "":
		return failf("empty Backend")
	}
	if !slices.Contains(provider.Algorithms(), info.Algorithm) {
		return failf("algorithm %q is not one of the fixed names (spelled exactly)", info.Algorithm)
	}
	return Pass, ""
}

func checkInfoStable(ctx context.Context, r *run) (Status, string) {
	a, b := r.key.Info(), r.key.Info()
	if a != b {
		return failf("Info changed between two calls: %+v then %+v", a, b)
	}
	k2, err := r.subject.Open(ctx)
	if err != nil {
		return failf("opening a second handle: %v", err)
	}
	defer k2.Close()
	if c := k2.Info(); c.ID != a.ID || c.Algorithm != a.Algorithm || c.Backend != a.Backend {
		return failf("a second handle describes another key: %+v, first %+v", c, a)
	}
	return Pass, ""
}

func roundTrip(n int) checkFunc {
	return func(ctx context.Context, r *run) (Status, string) {
		if max := r.subject.MaxMessage; max > 0 && n > max {
			return Skip, fmt.Sprintf("the backend accepts messages of at most %d bytes", max)
		}
		msg, sig, err := r.signed(ctx, n)
		if err != nil {
			return failf("%v", err)
		}
		if len(sig) == 0 {
			return failf("Sign returned an empty signature")
		}
		if err := r.key.Verify(ctx, msg, sig); err != nil {
			return failf("Verify of its own %d-byte signature: %v", len(sig), err)
		}
		return Pass, ""
	}
}

func checkTampered(ctx context.Context, r *run) (Status, string) {
	msg, sig, err := r.signed(ctx, 64)
	if err != nil {
		return failf("%v", err)
	}
	positions := []int{0, len(sig) - 1}
	for i := 1; i < 15; i++ {
		positions = append(positions, i*len(sig)/15)
	}
	for i, pos := range positions {
		bad := bytes.Clone(sig)
		bad[pos] ^= 1 << (i % 8)
		if st, why := expectInvalid(fmt.Sprintf("signature with bit %d of byte %d flipped", i%8, pos), r.key.Verify(ctx, msg, bad)); st != Pass {
			return st, why
		}
	}
	return Pass, ""
}

func checkTruncated(ctx context.Context, r *run) (Status, string) {
	msg, sig, err := r.signed(ctx, 64)
	if err != nil {
		return failf("%v", err)
	}
	if st, why := expectInvalid("signature missing its last byte", r.key.Verify(ctx, msg, bytes.Clone(sig[:len(sig)-1]))); st != Pass {
		return st, why
	}
	return expectInvalid("first half of the signature", r.key.Verify(ctx, msg, bytes.Clone(sig[:len(sig)/2])))
}

func checkExtended(ctx context.Context, r *run) (Status, string) {
	msg, sig, err := r.signed(ctx, 64)
	if err != nil {
		return failf("%v", err)
	}
	return expectInvalid("signature with a zero byte appended", r.key.Verify(ctx, msg, append(bytes.Clone(sig), 0)))
}

func checkEmpty(ctx context.Context, r *run) (Status, string) {
	return expectInvalid("empty signature", r.key.Verify(ctx, message(64, 0x5a), []byte{}))
}

func checkNil(ctx context.Context, r *run) (Status, string) {
	return expectInvalid("nil signature", r.key.Verify(ctx, message(64, 0x5a), nil))
}

func checkChangedMessage(ctx context.Context, r *run) (Status, string) {
	msg, sig, err := r.signed(ctx, 64)
	if err != nil {
		return failf("%v", err)
	}
	other := bytes.Clone(msg)
	other[len(other)/2] ^= 0x01
	if st, why := expectInvalid("signature over a message with one bit changed", r.key.Verify(ctx, other, sig)); st != Pass {
		return st, why
	}
	return expectInvalid("signature over the message with a byte appended", r.key.Verify(ctx, append(bytes.Clone(msg), 0), sig))
}

func checkOtherKey(ctx context.Context, r *run) (Status, string) {
	if r.subject.Other == nil {
		return Skip, "no second key of the same algorithm was provided"
	}
	other, err := r.subject.Other(ctx)
	if err != nil {
		return failf("opening the other key: %v", err)
	}
	defer other.Close()
	if other.Info().ID == r.key.Info().ID {
		return failf("the other key has the same ID %s as the key under test", other.Info().ID)
	}
	msg := message(64, 0x5a)
	sig, err := other.Sign(ctx, msg)
	if err != nil {
		return failf("the other key's Sign: %v", err)
	}
	return expectInvalid("signature by another key", r.key.Verify(ctx, msg, sig))
}

func checkDeterminism(ctx context.Context, r *run) (Status, string) {
	d, ok := r.key.(provider.Determinism)
	if !ok {
		return Skip, "the key does not declare whether it signs deterministically"
	}
	msg := message(64, 0x33)
	a, err := r.key.Sign(ctx, msg)
	if err != nil {
		return failf("Sign: %v", err)
	}
	b, err := r.key.Sign(ctx, msg)
	if err != nil {
		return failf("Sign: %v", err)
	}
	same := bytes.Equal(a, b)
	switch {
	case d.Deterministic() && !same:
		return failf("declared deterministic, but two signatures of one message differ")
	case !d.Deterministic() && same:
		return failf("declared randomised, but two signatures of one message are identical")
	}
	return Pass, ""
}

func checkSignAppend(ctx context.Context, r *run) (Status, string) {
	a, ok := r.key.(provider.AppendSigner)
	if !ok {
		return Skip, "the key does not implement SignAppend"
	}
	msg := message(64, 0x11)
	prefix := []byte("prefix")
	out, err := a.SignAppend(ctx, bytes.Clone(prefix), msg)
	if err != nil {
		return failf("SignAppend: %v", err)
	}
	if !bytes.HasPrefix(out, prefix) {
		return failf("SignAppend did not keep dst")
	}
	if err := r.key.Verify(ctx, msg, out[len(prefix):]); err != nil {
		return failf("Verify of SignAppend's signature: %v", err)
	}
	return Pass, ""
}

func checkConcurrency(ctx context.Context, r *run) (Status, string) {
	n, ops := r.subject.goroutines(), r.subject.opsPerGoroutine()
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for g := range n {
		wg.Go(func() {
			for i := range ops {
				msg := message(32+g, byte(i))
				sig, err := r.key.Sign(ctx, msg)
				if err != nil {
					errs <- fmt.Errorf("goroutine %d: Sign: %w", g, err)
					return
				}
				if err := r.key.Verify(ctx, msg, sig); err != nil {
					errs <- fmt.Errorf("goroutine %d: Verify: %w", g, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	var failed []error
	for err := range errs {
		failed = append(failed, err)
	}
	if len(failed) > 0 {
		return failf("%d of %d goroutines failed; first: %v", len(failed), n, failed[0])
	}
	return Pass, ""
}

func checkCancelled(ctx context.Context, r *run) (Status, string) {
	msg, sig, err := r.signed(ctx, 64)
	if err != nil {
		return failf("%v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := r.key.Sign(cctx, msg); err == nil {
		return failf("Sign with a cancelled context succeeded")
	} else if errors.Is(err, provider.ErrInvalidSignature) {
		return failf("Sign with a cancelled context returned ErrInvalidSignature: %v", err)
	}
	switch err := r.key.Verify(cctx, msg, sig); {
	case err == nil:
		return failf("Verify with a cancelled context returned nil, as if it had checked the signature")
	case errors.Is(err, provider.ErrInvalidSignature):
		return failf("Verify with a cancelled context returned ErrInvalidSignature, mistaking an outage for a forgery: %v", err)
	}
	return Pass, ""
}

func checkCloseIdempotent(ctx context.Context, r *run) (Status, string) {
	k, err := r.subject.Open(ctx)
	if err != nil {
		return failf("Open: %v", err)
	}
	if err := k.Close(); err != nil {
		return failf("first Close: %v", err)
	}
	if err := k.Close(); err != nil {
		return failf("second Close: %v", err)
	}
	return Pass, ""
}

func checkUseAfterClose(ctx context.Context, r *run) (Status, string) {
	k, err := r.subject.Open(ctx)
	if err != nil {
		return failf("Open: %v", err)
	}
	msg := message(64, 0x5a)
	sig, err := k.Sign(ctx, msg)
	if err != nil {
		k.Close()
		return failf("Sign: %v", err)
	}
	if err := k.Close(); err != nil {
		return failf("Close: %v", err)
	}
	if _, err := k.Sign(ctx, msg); !errors.Is(err, provider.ErrClosed) {
		return failf("Sign after Close returned %v, want ErrClosed", err)
	}
	if err := k.Verify(ctx, msg, sig); !errors.Is(err, provider.ErrClosed) || errors.Is(err, provider.ErrInvalidSignature) {
		return failf("Verify after Close returned %v, want ErrClosed (and not ErrInvalidSignature)", err)
	}
	return Pass, ""
}

// stdlibVerify verifies sig over msg with the public key under the rule every
// backend shares (internal/stdverify, on the Go standard library), or says why
// it cannot.
func stdlibVerify(alg provider.Algorithm, pub crypto.PublicKey, msg, sig []byte) (ok bool, skip string, err error) {
	if !stdverify.Supports(alg) {
		return false, fmt.Sprintf("the Go standard library has no verifier for %s", alg), nil
	}
	if err := stdverify.CheckKey(alg, pub); err != nil {
		return false, "", fmt.Errorf("%s key's public key: %w", alg, err)
	}
	return stdverify.Verify(alg, pub, msg, sig) == nil, "", nil
}

func checkPublicKeyStdlib(ctx context.Context, r *run) (Status, string) {
	pk, ok := r.key.(provider.PublicKeyer)
	if !ok {
		return Skip, fmt.Sprintf("%s key exports no public key", r.key.Info().Algorithm)
	}
	msg, sig, err := r.signed(ctx, 100)
	if err != nil {
		return failf("%v", err)
	}
	ok, skip, err := publicKeyVerify(r.key, pk.Public(), msg, sig)
	switch {
	case err != nil:
		return failf("%v", err)
	case skip != "":
		return Skip, skip
	case !ok:
		return failf("the standard library rejects the key's signature under the shared rule (docs/verification.md: for RSA-PSS, a salt as long as the hash)")
	}
	bad := bytes.Clone(msg)
	bad[0] ^= 1
	if ok, _, _ := publicKeyVerify(r.key, pk.Public(), bad, sig); ok {
		return failf("the standard library accepts the signature for another message")
	}
	return Pass, ""
}

func checkPublicKeyPEM(_ context.Context, r *run) (Status, string) {
	pp, ok := r.key.(provider.PublicKeyPEMer)
	if !ok {
		return Skip, fmt.Sprintf("%s key exports no PEM public key", r.key.Info().Algorithm)
	}
	data, err := pp.PublicKeyPEM()
	if err != nil {
		return failf("PublicKeyPEM: %v", err)
	}
	block, rest := pem.Decode(data)
	switch {
	case block == nil:
		return failf("PublicKeyPEM returned no PEM block")
	case block.Type != "PUBLIC KEY":
		return failf("PEM block type %q, want PUBLIC KEY", block.Type)
	case len(bytes.TrimSpace(rest)) != 0:
		return failf("trailing data after the PEM block")
	}
	pk, ok := r.key.(provider.PublicKeyer)
	if !ok {
		return Pass, ""
	}
	parsed, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		if _, _, e := stdlibVerify(r.key.Info().Algorithm, nil, nil, nil); e == nil {
			// An algorithm the standard library does not know (ML-DSA):
			// the PEM is well formed, its contents are the backend's to test.
			return Pass, ""
		}
		return failf("x509.ParsePKIXPublicKey: %v", err)
	}
	if eq, ok := parsed.(interface{ Equal(crypto.PublicKey) bool }); ok {
		if !eq.Equal(pk.Public()) {
			return failf("the PEM public key differs from Public()")
		}
	} else if !reflect.DeepEqual(parsed, pk.Public()) {
		return failf("the PEM public key differs from Public()")
	}
	return Pass, ""
}

func checkCryptoSigner(ctx context.Context, r *run) (Status, string) {
	if _, ok := r.key.(provider.DigestSigner); !ok {
		return Skip, fmt.Sprintf("%s key cannot sign a digest", r.key.Info().Algorithm)
	}
	cs, err := provider.CryptoSigner(ctx, r.key)
	var old *provider.GoVersionError
	if errors.As(err, &old) {
		return Skip, err.Error()
	}
	if err != nil {
		return failf("CryptoSigner: %v", err)
	}
	alg := r.key.Info().Algorithm
	msg := message(80, 0x77)
	digest, opts := msg, crypto.SignerOpts(crypto.Hash(0))
	if h := alg.Hash(); h != 0 {
		hh := h.New()
		hh.Write(msg)
		digest, opts = hh.Sum(nil), h
		if alg == provider.RSAPSSSHA256 {
			opts = stdverify.PSSOptions(h)
		}
	}
	sig, err := cs.Sign(nil, digest, opts)
	if err != nil {
		return failf("crypto.Signer.Sign: %v", err)
	}
	ok, skip, err := publicKeyVerify(r.key, cs.Public(), msg, sig)
	switch {
	case err != nil:
		return failf("%v", err)
	case skip != "":
		if err := r.key.Verify(ctx, msg, sig); err != nil {
			return failf("the key's own Verify rejects the crypto.Signer signature: %v", err)
		}
		return Pass, ""
	case !ok:
		return failf("the standard library rejects the crypto.Signer signature under the shared rule (docs/verification.md: for RSA-PSS, a salt as long as the hash)")
	}
	return Pass, ""
}
