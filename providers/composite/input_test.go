package composite_test

import (
	"bytes"
	"context"
	"crypto"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tinywindow/tinywindow/config"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/composite"
	"github.com/tinywindow/tinywindow/providers/pqc"
)

// TestBadConfiguration: each malformed or disallowed composite URI is a
// clear error of the right kind, never a panic.
func TestBadConfiguration(t *testing.T) {
	pq44 := pqURI(t, provider.MLDSA44, 31)
	pq65 := pqURI(t, provider.MLDSA65, 32)
	ed := softTrad(composite.MLDSA44Ed25519SHA512, "x")
	p256 := softTrad(composite.MLDSA65ECDSAP256SHA512, "x")
	p384 := softTrad(composite.MLDSA65ECDSAP384SHA512, "x")
	for _, tc := range []struct {
		name, uri string
		want      error
		says      string
	}{
		{"combination not in the draft", composite.URI("MLDSA65-ECDSA-P521-SHA512", pq65, p256), provider.ErrInvalidConfig, "not a composite algorithm"},
		{"draft combination not offered", composite.URI("MLDSA87-Ed448-SHAKE256", pq65, p256), provider.ErrUnsupported, "Ed448"},
		{"no alg", "composite:pq-uri=x:a=b;trad-uri=y:a=b", provider.ErrInvalidConfig, "no alg="},
		{"missing trad", "composite:alg=MLDSA44-Ed25519-SHA512;pq-uri=" + strings.ReplaceAll(pq44, ";", "%3B"), provider.ErrInvalidConfig, "both pq-uri"},
		{"unknown attribute", composite.URI(composite.MLDSA44Ed25519SHA512, pq44, ed) + ";colour=red", provider.ErrInvalidConfig, "unknown attribute"},
		{"classical key of the wrong curve", composite.URI(composite.MLDSA65ECDSAP256SHA512, pq65, p384), provider.ErrInvalidConfig, "ECDSA-P256-SHA256"},
		{"classical key of the wrong type", composite.URI(composite.MLDSA44Ed25519SHA512, pq44, p256), provider.ErrInvalidConfig, "Ed25519"},
		{"RSA key of the wrong size", composite.URI(composite.MLDSA65RSA3072PSSSHA512, pq65, "memkey:alg=RSA-PSS-SHA256;bits=2048;seed=x"), provider.ErrInvalidConfig, "exactly 3072 bits"},
		{"ML-DSA of the wrong level", composite.URI(composite.MLDSA65ECDSAP256SHA512, pq44, p256), provider.ErrInvalidConfig, "ML-DSA-65"},
		{"two components the same key", composite.URI(composite.MLDSA44Ed25519SHA512, ed, ed), provider.ErrInvalidConfig, "same key"},
		{"ML-DSA as the classical half", composite.URI(composite.MLDSA44Ed25519SHA512, pq44, pq65), provider.ErrInvalidConfig, "classical component"},
		{"component that does not open", composite.URI(composite.MLDSA44Ed25519SHA512, "pqc:alg=ML-DSA-44;seed-source=file:/nonexistent/seed", ed), provider.ErrInvalidConfig, "opening the ML-DSA component"},
		{"component of an unknown scheme", composite.URI(composite.MLDSA44Ed25519SHA512, pq44, "nosuch:a=b"), provider.ErrInvalidConfig, "classical component"},
		{"nested composite", composite.URI(composite.MLDSA44Ed25519SHA512, pq44, composite.URI(composite.MLDSA44Ed25519SHA512, pq44, ed)), provider.ErrInvalidConfig, "itself a composite"},
		{"pq context set by hand", composite.URI(composite.MLDSA44Ed25519SHA512, pq44+";ctx=orders", ed), provider.ErrInvalidConfig, "drop ctx="},
		{"unescaped nested URI", "composite:alg=MLDSA44-Ed25519-SHA512;pq-uri=" + pq44 + ";trad-uri=" + ed, provider.ErrInvalidConfig, ""},
		{"name without a config", "composite:alg=MLDSA44-Ed25519-SHA512;pq=orders-pq;trad=orders-hsm", provider.ErrInvalidConfig, "--config"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, err := provider.Open(t.Context(), tc.uri)
			if err == nil {
				k.Close()
				t.Fatal("opened")
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("error %q does not say %q", err, tc.says)
			}
		})
	}
}

// TestMLDSAWithoutLabelRefused: New refuses an ML-DSA component opened
// without the draft's context string.
func TestMLDSAWithoutLabelRefused(t *testing.T) {
	ctx := t.Context()
	pq, err := provider.Open(ctx, pqURI(t, provider.MLDSA44, 33))
	if err != nil {
		t.Fatal(err)
	}
	trad, err := provider.Open(ctx, softTrad(composite.MLDSA44Ed25519SHA512, "y"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = composite.New(ctx, composite.MLDSA44Ed25519SHA512, pq, trad)
	if !errors.Is(err, provider.ErrInvalidConfig) || !strings.Contains(err.Error(), "context string") {
		t.Fatalf("New with a context-less ML-DSA key: %v", err)
	}
}

// TestBadSignatures: wrong lengths, corrupted halves and halves swapped in
// from another message are invalid signatures, through a handle and through
// a verify-only key.
func TestBadSignatures(t *testing.T) {
	ctx := t.Context()
	for _, alg := range []provider.Algorithm{composite.MLDSA65ECDSAP256SHA512, composite.MLDSA44Ed25519SHA512, composite.MLDSA44RSA2048PSSSHA256} {
		t.Run(string(alg), func(t *testing.T) {
			k, err := openComposite(ctx, softURI(t, alg, 34))
			if err != nil {
				t.Fatal(err)
			}
			defer k.Close()
			pub, _ := k.Public().(*composite.PublicKey)
			v, err := composite.NewVerifier(pub)
			if err != nil {
				t.Fatal(err)
			}
			m1, m2 := []byte("order 1"), []byte("order 2")
			s1, _ := k.Sign(ctx, m1)
			s2, _ := k.Sign(ctx, m2)
			mlSize := map[string]int{"MLDSA44": 2420, "MLDSA65": 3309}[string(alg)[:7]]
			flip := func(i int) []byte { s := bytes.Clone(s1); s[i] ^= 0x80; return s }
			cases := map[string][]byte{
				"empty":                 nil,
				"ML-DSA half only":      s1[:mlSize],
				"one byte short":        s1[:len(s1)-1],
				"one byte long":         append(bytes.Clone(s1), 0),
				"ML-DSA half corrupted": flip(10),
				"classical corrupted":   flip(len(s1) - 3),
				"ML-DSA from message 2": append(bytes.Clone(s2[:mlSize]), s1[mlSize:]...),
				"classical from msg 2":  append(bytes.Clone(s1[:mlSize]), s2[mlSize:]...),
				"halves swapped":        append(bytes.Clone(s1[mlSize:]), s1[:mlSize]...),
			}
			for name, sig := range cases {
				for _, key := range []provider.Verifier{k, v} {
					if err := key.Verify(ctx, m1, sig); !errors.Is(err, provider.ErrInvalidSignature) {
						t.Errorf("%s (%T): Verify = %v, want ErrInvalidSignature", name, key, err)
					}
				}
			}
		})
	}
}

// flaky wraps a component key and fails its Sign and Verify with
// ErrUnavailable while down is set, as a backend in an outage does.
type flaky struct {
	provider.Key
	down atomic.Bool
}

func (f *flaky) Public() crypto.PublicKey { return f.Key.(provider.PublicKeyer).Public() }
func (f *flaky) PublicKeyPEM() ([]byte, error) {
	return f.Key.(provider.PublicKeyPEMer).PublicKeyPEM()
}
func (f *flaky) Sign(ctx context.Context, msg []byte) ([]byte, error) {
	if f.down.Load() {
		return nil, fmt.Errorf("%w: backend down", provider.ErrUnavailable)
	}
	return f.Key.Sign(ctx, msg)
}
func (f *flaky) Verify(ctx context.Context, msg, sig []byte) error {
	if f.down.Load() {
		return fmt.Errorf("%w: backend down", provider.ErrUnavailable)
	}
	return f.Key.Verify(ctx, msg, sig)
}

// TestOutageIsUnavailable: when either component's backend is down, Sign and
// Verify fail with ErrUnavailable, never ErrInvalidSignature; a component
// that proves the signature bad still makes it invalid.
func TestOutageIsUnavailable(t *testing.T) {
	ctx := t.Context()
	alg := composite.MLDSA44Ed25519SHA512
	for _, which := range []string{"pq", "trad"} {
		t.Run(which, func(t *testing.T) {
			pqKey, err := provider.Open(ctx, pqURI(t, provider.MLDSA44, 35, ";ctx=COMPSIG-MLDSA44-Ed25519-SHA512"))
			if err != nil {
				t.Fatal(err)
			}
			tradKey, err := provider.Open(ctx, softTrad(alg, "z"))
			if err != nil {
				t.Fatal(err)
			}
			pq, trad := &flaky{Key: pqKey}, &flaky{Key: tradKey}
			k, err := composite.New(ctx, alg, pq, trad)
			if err != nil {
				t.Fatal(err)
			}
			defer k.Close()
			msg := []byte("order")
			sig, err := k.Sign(ctx, msg)
			if err != nil {
				t.Fatal(err)
			}
			down := map[string]*flaky{"pq": pq, "trad": trad}[which]
			down.down.Store(true)
			if _, err := k.Sign(ctx, msg); !errors.Is(err, provider.ErrUnavailable) || errors.Is(err, provider.ErrInvalidSignature) {
				t.Fatalf("Sign during an outage: %v", err)
			}
			if err := k.Verify(ctx, msg, sig); !errors.Is(err, provider.ErrUnavailable) || errors.Is(err, provider.ErrInvalidSignature) {
				t.Fatalf("Verify during an outage: %v", err)
			}
			bad := bytes.Clone(sig)
			if which == "pq" {
				bad[len(bad)-1] ^= 1 // the live classical half proves it bad
			} else {
				bad[0] ^= 1
			}
			if err := k.Verify(ctx, msg, bad); !errors.Is(err, provider.ErrInvalidSignature) {
				t.Fatalf("Verify of a bad signature during an outage of the other component: %v", err)
			}
			down.down.Store(false)
			if err := k.Verify(ctx, msg, sig); err != nil {
				t.Fatalf("Verify after the outage: %v", err)
			}
		})
	}
}

// TestConfigNamedKeys: a composite signer in a config file names its
// components by the file's keys: map, and backend options of the config
// apply to the components.
func TestConfigNamedKeys(t *testing.T) {
	seed := seedFile(t, 36)
	cfgText := fmt.Sprintf(`signer: "composite:alg=MLDSA65-ECDSA-P256-SHA512;pq=orders-pq;trad=orders-hsm"
keys:
  orders-pq: "pqc:alg=ML-DSA-65"
  orders-hsm: "memkey:alg=ECDSA-P256-SHA256"
  loop: "composite:alg=MLDSA65-ECDSA-P256-SHA512;pq=loop;trad=orders-hsm"
backends:
  pqc:
    seed-source: "file:%s"
  memkey:
    seed: "cfg"
`, seed)
	path := filepath.Join(t.TempDir(), "tw.yaml")
	if err := os.WriteFile(path, []byte(cfgText), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(config.SignerEnv, "")
	u, err := config.ResolveSigner("", cfg)
	if err != nil {
		t.Fatal(err)
	}
	k, err := provider.OpenURI(t.Context(), u)
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	// The same key through nested URIs.
	direct, err := openComposite(t.Context(), composite.URI(composite.MLDSA65ECDSAP256SHA512,
		"pqc:alg=ML-DSA-65;seed-source=file:"+seed, "memkey:alg=ECDSA-P256-SHA256;seed=cfg"))
	if err != nil {
		t.Fatal(err)
	}
	defer direct.Close()
	if k.Info().ID != direct.Info().ID {
		t.Fatalf("config key %s, nested-URI key %s", k.Info().ID, direct.Info().ID)
	}
	sig, err := k.Sign(t.Context(), []byte("m"))
	if err != nil {
		t.Fatal(err)
	}
	if err := direct.Verify(t.Context(), []byte("m"), sig); err != nil {
		t.Fatal(err)
	}

	// --signer (or TINYWINDOW_SIGNER) may name config keys too.
	fu, err := config.ResolveSigner("composite:alg=MLDSA65-ECDSA-P256-SHA512;trad=orders-hsm;pq=orders-pq", cfg)
	if err != nil {
		t.Fatal(err)
	}
	fk, err := provider.OpenURI(t.Context(), fu)
	if err != nil {
		t.Fatal(err)
	}
	fk.Close()
	if fk.Info().ID != k.Info().ID {
		t.Fatalf("--signer with names: key %s, want %s", fk.Info().ID, k.Info().ID)
	}

	for _, tc := range []struct{ signer, says string }{
		{"composite:alg=MLDSA65-ECDSA-P256-SHA512;pq=nosuch;trad=orders-hsm", `"nosuch" names no key`},
		{"composite:alg=MLDSA65-ECDSA-P256-SHA512;pq=orders-pq;pq-uri=pqc:alg=ML-DSA-65;trad=orders-hsm", "give one"},
		{"composite:alg=MLDSA65-ECDSA-P256-SHA512;pq=loop;trad=orders-hsm", "cannot be a component"},
	} {
		if _, err := config.ResolveSigner(tc.signer, cfg); !errors.Is(err, provider.ErrInvalidConfig) || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("ResolveSigner(%s) = %v, want an error saying %q", tc.signer, err, tc.says)
		}
	}
	if _, err := config.Parse([]byte("keys:\n  Bad_Name: \"pqc:alg=ML-DSA-65\"\n")); !errors.Is(err, provider.ErrInvalidConfig) {
		t.Errorf("bad key name: %v", err)
	}
	if _, err := config.Parse([]byte("keys:\n  a: \"not a uri\"\n")); !errors.Is(err, provider.ErrInvalidConfig) {
		t.Errorf("bad key URI: %v", err)
	}
}

// rendezvous wraps a component key whose Sign, once armed, announces that
// it started and then waits until the other component's Sign has started
// too: if the composite key signed with one component after the other,
// neither would proceed.
type rendezvous struct {
	flaky
	armed       atomic.Bool
	mine, other chan struct{}
}

func (r *rendezvous) Sign(ctx context.Context, msg []byte) ([]byte, error) {
	if r.armed.Load() {
		close(r.mine)
		select {
		case <-r.other:
		case <-ctx.Done():
			return nil, fmt.Errorf("%w: the other component never started signing: %w", provider.ErrUnavailable, ctx.Err())
		}
	}
	return r.Key.Sign(ctx, msg)
}

// TestComponentsSignConcurrently: both components are inside Sign at the
// same time.
func TestComponentsSignConcurrently(t *testing.T) {
	alg := composite.MLDSA44Ed25519SHA512
	pqKey, err := provider.Open(t.Context(), pqURI(t, provider.MLDSA44, 37, ";ctx=COMPSIG-MLDSA44-Ed25519-SHA512"))
	if err != nil {
		t.Fatal(err)
	}
	tradKey, err := provider.Open(t.Context(), softTrad(alg, "r"))
	if err != nil {
		t.Fatal(err)
	}
	a, b := make(chan struct{}), make(chan struct{})
	pq := &rendezvous{flaky: flaky{Key: pqKey}, mine: a, other: b}
	trad := &rendezvous{flaky: flaky{Key: tradKey}, mine: b, other: a}
	k, err := composite.New(t.Context(), alg, pq, trad)
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	pq.armed.Store(true)
	trad.armed.Store(true)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second) // a deadlock guard, not a latency check
	defer cancel()
	sig, err := k.Sign(ctx, []byte("m"))
	if err != nil {
		t.Fatalf("Sign: %v (the components did not sign at the same time)", err)
	}
	pq.armed.Store(false)
	trad.armed.Store(false)
	if err := k.Verify(ctx, []byte("m"), sig); err != nil {
		t.Fatal(err)
	}
}

// counting counts its component's signatures and, when slow is set, makes
// each one wait on a timer, as a component behind the network would.
type counting struct {
	flaky
	signs atomic.Int64
	slow  bool
}

func (c *counting) Sign(ctx context.Context, msg []byte) ([]byte, error) {
	c.signs.Add(1)
	if c.slow {
		time.Sleep(50 * time.Microsecond)
	}
	return c.Key.Sign(ctx, msg)
}

// TestEachComponentSignsOnce: whichever goroutine signs the ML-DSA half,
// each composite signature asks each component exactly once, under
// concurrent use, whether the classical half returns at once or waits.
func TestEachComponentSignsOnce(t *testing.T) {
	for _, slow := range []bool{false, true} {
		t.Run(fmt.Sprintf("slow=%v", slow), func(t *testing.T) {
			alg := composite.MLDSA44Ed25519SHA512
			pqKey, err := provider.Open(t.Context(), pqURI(t, provider.MLDSA44, 38, ";ctx=COMPSIG-MLDSA44-Ed25519-SHA512"))
			if err != nil {
				t.Fatal(err)
			}
			tradKey, err := provider.Open(t.Context(), softTrad(alg, "once"))
			if err != nil {
				t.Fatal(err)
			}
			pq := &counting{flaky: flaky{Key: pqKey}}
			trad := &counting{flaky: flaky{Key: tradKey}, slow: slow}
			k, err := composite.New(t.Context(), alg, pq, trad)
			if err != nil {
				t.Fatal(err)
			}
			defer k.Close()
			pqBefore := pq.signs.Load() // New's context probe
			const goroutines, each = 8, 40
			errs := make(chan error, goroutines)
			for g := range goroutines {
				go func() {
					for i := range each {
						msg := fmt.Appendf(nil, "order %d/%d", g, i)
						sig, err := k.Sign(t.Context(), msg)
						if err == nil {
							err = k.Verify(t.Context(), msg, sig)
						}
						if err != nil {
							errs <- err
							return
						}
					}
					errs <- nil
				}()
			}
			for range goroutines {
				if err := <-errs; err != nil {
					t.Fatal(err)
				}
			}
			if got, want := pq.signs.Load()-pqBefore, int64(goroutines*each); got != want {
				t.Errorf("ML-DSA component signed %d times for %d composite signatures", got, want)
			}
			if got, want := trad.signs.Load(), int64(goroutines*each); got != want {
				t.Errorf("classical component signed %d times for %d composite signatures", got, want)
			}
		})
	}
}

// TestMessageRepresentative: each half of a composite signature is the
// component's signature of MessageRepresentative, which names the draft's
// prefix and label; an unknown algorithm is refused.
func TestMessageRepresentative(t *testing.T) {
	alg := composite.MLDSA65ECDSAP256SHA512
	k, err := openComposite(t.Context(), softURI(t, alg, 39))
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	msg := []byte("order 7")
	sig, err := k.Sign(t.Context(), msg)
	if err != nil {
		t.Fatal(err)
	}
	mp, err := composite.MessageRepresentative(alg, msg)
	if err != nil {
		t.Fatal(err)
	}
	if want := "CompositeAlgorithmSignatures2025COMPSIG-MLDSA65-ECDSA-P256-SHA512\x00"; !bytes.HasPrefix(mp, []byte(want)) || len(mp) != len(want)+64 {
		t.Fatalf("M' = %q, want %q and a 64-byte SHA-512", mp, want)
	}
	pq, trad := k.Components()
	n, err := pqc.SignatureSize(provider.MLDSA65)
	if err != nil {
		t.Fatal(err)
	}
	if err := pq.Verify(t.Context(), mp, sig[:n]); err != nil {
		t.Errorf("ML-DSA half: %v", err)
	}
	if err := trad.Verify(t.Context(), mp, sig[n:]); err != nil {
		t.Errorf("classical half: %v", err)
	}
	if lower, err := composite.MessageRepresentative("mldsa65-ecdsa-p256-sha512", msg); err != nil || !bytes.Equal(lower, mp) {
		t.Errorf("the algorithm's name in lower case: %q, %v; want the same M'", lower, err)
	}
	if _, err := composite.MessageRepresentative("MLDSA65-Ed448", msg); !errors.Is(err, provider.ErrInvalidConfig) {
		t.Errorf("unknown algorithm: err = %v, want ErrInvalidConfig", err)
	}
}
