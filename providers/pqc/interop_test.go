package pqc_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/cloudflare/circl/sign/mldsa/mldsa44"
	"github.com/cloudflare/circl/sign/mldsa/mldsa65"
	"github.com/cloudflare/circl/sign/mldsa/mldsa87"
	"github.com/cloudflare/circl/sign/slhdsa"

	"github.com/tinywindow/tinywindow/internal/testenv"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/pqc"
)

// liboqsJSVersion is the version of npm @oqs/liboqs-js pinned in
// testdata/liboqs/package-lock.json.
const liboqsJSVersion = "0.15.1"

const liboqsHowTo = "run scripts/setup.d/30-node-liboqs.sh (it installs Node from Debian and runs npm ci in providers/pqc/testdata/liboqs), or set TW_LIBOQS_DIR to a directory holding driver.mjs and node_modules/@oqs/liboqs-js"

// liboqs is a running driver.mjs: liboqs's WebAssembly build under Node.
type liboqs struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Scanner
}

type liboqsAnswer struct {
	Error   string   `json:"error"`
	Version string   `json:"version"`
	PK      string   `json:"pk"`
	SK      string   `json:"sk"`
	Sig     string   `json:"sig"`
	Drawn   *int     `json:"drawn"`
	OK      *bool    `json:"ok"`
	NsPerOp *float64 `json:"nsPerOp"`
}

// startLiboqs starts the driver, or ends the test through testenv.Need when
// Node or the npm package is missing (a failure under CI).
func startLiboqs(t testing.TB) *liboqs {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		testenv.Need(t, "Node.js (node on PATH)", liboqsHowTo)
	}
	dir := os.Getenv("TW_LIBOQS_DIR")
	if dir == "" {
		dir = filepath.Join("testdata", "liboqs")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@oqs", "liboqs-js", "package.json")); err != nil {
		testenv.Need(t, "npm package @oqs/liboqs-js "+liboqsJSVersion, liboqsHowTo)
	}
	cmd := exec.Command(node, "driver.mjs")
	cmd.Dir = dir
	cmd.Stderr = &testWriter{t}
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting node driver.mjs: %v", err)
	}
	l := &liboqs{cmd: cmd, in: in, out: bufio.NewScanner(out)}
	l.out.Buffer(make([]byte, 1<<20), 1<<20)
	t.Cleanup(func() {
		in.Close()
		if err := cmd.Wait(); err != nil {
			t.Errorf("node driver.mjs: %v", err)
		}
	})
	var a liboqsAnswer
	l.call(t, map[string]any{"op": "info"}, &a)
	if a.Version != liboqsJSVersion {
		t.Fatalf("@oqs/liboqs-js is version %q, want %s (run npm ci in %s)", a.Version, liboqsJSVersion, dir)
	}
	return l
}

// testWriter sends the driver's stderr to the test log.
type testWriter struct{ t testing.TB }

func (w *testWriter) Write(p []byte) (int, error) {
	w.t.Logf("driver.mjs: %s", bytes.TrimSpace(p))
	return len(p), nil
}

func (l *liboqs) call(t testing.TB, req map[string]any, a *liboqsAnswer) {
	t.Helper()
	line, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.in.Write(append(line, '\n')); err != nil {
		t.Fatalf("writing to driver.mjs: %v", err)
	}
	if !l.out.Scan() {
		t.Fatalf("driver.mjs gave no answer to %s: %v", req["op"], l.out.Err())
	}
	*a = liboqsAnswer{}
	if err := json.Unmarshal(l.out.Bytes(), a); err != nil {
		t.Fatalf("driver.mjs answer %q: %v", l.out.Text(), err)
	}
	if a.Error != "" {
		t.Fatalf("liboqs %s: %s", req["op"], a.Error)
	}
}

func (l *liboqs) keygen(t testing.TB, alg provider.Algorithm, seed []byte) (pk, sk []byte, drawn int) {
	var a liboqsAnswer
	l.call(t, map[string]any{"op": "keygen", "alg": alg, "rand": hex.EncodeToString(seed)}, &a)
	return testenv.Hex(t, a.PK), testenv.Hex(t, a.SK), *a.Drawn
}

// sign signs with liboqs; rnd, if not nil, replaces its randomness.
func (l *liboqs) sign(t testing.TB, alg provider.Algorithm, sk, msg, rnd []byte) (sig []byte, drawn int) {
	req := map[string]any{"op": "sign", "alg": alg, "sk": hex.EncodeToString(sk), "msg": hex.EncodeToString(msg)}
	if rnd != nil {
		req["rand"] = hex.EncodeToString(rnd)
	}
	var a liboqsAnswer
	l.call(t, req, &a)
	if a.Drawn != nil {
		drawn = *a.Drawn
	}
	return testenv.Hex(t, a.Sig), drawn
}

func (l *liboqs) verify(t testing.TB, alg provider.Algorithm, pk, msg, sig []byte) bool {
	var a liboqsAnswer
	l.call(t, map[string]any{"op": "verify", "alg": alg, "pk": hex.EncodeToString(pk), "msg": hex.EncodeToString(msg), "sig": hex.EncodeToString(sig)}, &a)
	return *a.OK
}

// circlPrivateKey returns the expanded private key circl derives from seed,
// to compare with liboqs's byte for byte.
func circlPrivateKey(t testing.TB, alg provider.Algorithm, seed []byte) []byte {
	t.Helper()
	var xi [32]byte
	copy(xi[:], seed)
	switch alg {
	case provider.MLDSA44:
		_, sk := mldsa44.NewKeyFromSeed(&xi)
		return sk.Bytes()
	case provider.MLDSA65:
		_, sk := mldsa65.NewKeyFromSeed(&xi)
		return sk.Bytes()
	case provider.MLDSA87:
		_, sk := mldsa87.NewKeyFromSeed(&xi)
		return sk.Bytes()
	}
	id := map[provider.Algorithm]slhdsa.ID{provider.SLHDSASHA2128s: slhdsa.SHA2_128s, provider.SLHDSASHA2128f: slhdsa.SHA2_128f}[alg]
	_, sk, err := slhdsa.GenerateKey(bytes.NewReader(seed), id)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := sk.MarshalBinary()
	return b
}

// TestInteropLiboqs proves interoperability with liboqs (its official
// WebAssembly build, npm @oqs/liboqs-js) for every parameter set, with the
// empty context string, the only one liboqs-js offers:
//   - the same seed gives byte-identical public and private keys, and
//     liboqs's expanded private key passes this backend's validation;
//   - deterministic signatures are byte-identical;
//   - our hedged signatures verify in liboqs and liboqs's in ours;
//   - a tampered signature, or a changed message, is rejected by both.
func TestInteropLiboqs(t *testing.T) {
	l := startLiboqs(t)
	for _, engine := range pqc.Engines() {
		for _, alg := range pqc.Algorithms() {
			if engineHas(engine, alg) {
				interopCase(t, l, engine, alg)
			}
		}
	}
}

// interopCase checks one parameter set of one engine against liboqs.
func interopCase(t *testing.T, l *liboqs, engine string, alg provider.Algorithm) {
	ctx := context.Background()
	t.Run(engine+"/"+string(alg), func(t *testing.T) {
		n, _ := pqc.SeedSize(alg)
		seed := testSeed(n, 0x42)
		pk, sk, drawn := l.keygen(t, alg, seed)
		if drawn != n {
			t.Fatalf("liboqs key generation drew %d random bytes, want %d (the seed)", drawn, n)
		}
		det, err := pqc.NewFromSeed(seed, pqc.Options{Algorithm: alg, Deterministic: true, Engine: engine})
		if err != nil {
			t.Fatal(err)
		}
		defer det.Close()
		hedged, err := pqc.NewFromSeed(seed, pqc.Options{Algorithm: alg, Engine: engine})
		if err != nil {
			t.Fatal(err)
		}
		defer hedged.Close()

		// Same seed, same keys.
		if !bytes.Equal(det.PublicKeyBytes(), pk) {
			t.Errorf("public keys from the same seed differ")
		}
		if !bytes.Equal(circlPrivateKey(t, alg, seed), sk) {
			t.Errorf("expanded private keys from the same seed differ")
		}
		if engine == pqc.EngineCircl {
			// crypto/mldsa takes no expanded private key.
			fromLiboqs, err := pqc.NewFromPrivateKey(sk, pqc.Options{Algorithm: alg})
			if err != nil {
				t.Fatalf("liboqs's private key fails validation: %v", err)
			}
			if fromLiboqs.Info() != det.Info() {
				t.Errorf("liboqs's private key opens as %+v, want %+v", fromLiboqs.Info(), det.Info())
			}
			fromLiboqs.Close()
		}

		msg := []byte("order 1: BUY 100 XYZ @ 42.00 for the interop test")

		// Deterministic signatures are identical. ML-DSA's deterministic
		// variant uses rnd = 0³²; SLH-DSA's uses PK.seed as opt_rand.
		var rnd []byte
		if alg == provider.SLHDSASHA2128s || alg == provider.SLHDSASHA2128f {
			rnd = pk[:len(pk)/2]
		} else {
			rnd = make([]byte, 32)
		}
		ours, err := det.Sign(ctx, msg)
		if err != nil {
			t.Fatal(err)
		}
		theirs, drawn := l.sign(t, alg, sk, msg, rnd)
		if drawn != len(rnd) {
			t.Errorf("liboqs signing drew %d random bytes, want %d", drawn, len(rnd))
		}
		if !bytes.Equal(ours, theirs) {
			t.Errorf("deterministic signatures differ (ours %d bytes, liboqs %d)", len(ours), len(theirs))
		}

		// Hedged signatures verify both ways.
		ourHedged, err := hedged.Sign(ctx, msg)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Equal(ourHedged, ours) {
			t.Errorf("a hedged signature equals the deterministic one")
		}
		if !l.verify(t, alg, pk, msg, ourHedged) {
			t.Errorf("liboqs rejects our hedged signature")
		}
		if !l.verify(t, alg, pk, msg, ours) {
			t.Errorf("liboqs rejects our deterministic signature")
		}
		theirHedged, _ := l.sign(t, alg, sk, msg, nil)
		if err := hedged.Verify(ctx, msg, theirHedged); err != nil {
			t.Errorf("we reject liboqs's hedged signature: %v", err)
		}

		// Tampered signatures and changed messages are rejected by both.
		for name, sig := range map[string][]byte{"ours": ourHedged, "liboqs's": theirHedged} {
			for _, at := range []int{0, len(sig) / 2, len(sig) - 1} {
				bad := bytes.Clone(sig)
				bad[at] ^= 0x10
				if l.verify(t, alg, pk, msg, bad) {
					t.Errorf("liboqs accepts %s signature with byte %d flipped", name, at)
				}
				if err := hedged.Verify(ctx, msg, bad); !errors.Is(err, provider.ErrInvalidSignature) {
					t.Errorf("we return %v for %s signature with byte %d flipped", err, name, at)
				}
			}
			other := append(bytes.Clone(msg), '!')
			if l.verify(t, alg, pk, other, sig) {
				t.Errorf("liboqs accepts %s signature for another message", name)
			}
			if err := hedged.Verify(ctx, other, sig); !errors.Is(err, provider.ErrInvalidSignature) {
				t.Errorf("we return %v for %s signature of another message", err, name)
			}
		}
		t.Logf("%s engine %s: same keys from one seed, identical deterministic signatures, both-way verification, tampering rejected by both", alg, engine)
	})
}

// BenchmarkLiboqsJS measures liboqs-js (WebAssembly under Node) for key
// generation, signing and verifying, per parameter set, with the same message
// as BenchmarkSign and friends; its ns/op is timed inside Node. Compare with
// BenchmarkKeygen, BenchmarkSign and BenchmarkVerify of the same run.
func BenchmarkLiboqsJS(b *testing.B) {
	l := startLiboqs(b)
	for _, alg := range pqc.Algorithms() {
		n, _ := pqc.SeedSize(alg)
		pk, sk, _ := l.keygen(b, alg, testSeed(n, 1))
		msg := benchMessage()
		sig, _ := l.sign(b, alg, sk, msg, nil)
		for _, what := range []string{"keygen", "sign", "verify"} {
			b.Run(fmt.Sprintf("%s/%s", what, alg), func(b *testing.B) {
				var a liboqsAnswer
				l.call(b, map[string]any{"op": "bench", "alg": alg, "what": what, "iters": b.N,
					"msg": hex.EncodeToString(msg), "pk": hex.EncodeToString(pk), "sk": hex.EncodeToString(sk), "sig": hex.EncodeToString(sig)}, &a)
				b.ReportMetric(*a.NsPerOp, "ns/op")
			})
		}
	}
}
