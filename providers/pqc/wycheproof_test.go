package pqc_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/tinywindow/tinywindow/internal/testenv"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/pqc"
)

// wycheproofModule is the Wycheproof commit the vectors come from, fetched
// through the Go module proxy as Go's own crypto tests do. Nothing of it is
// copied into this repository.
const wycheproofModule = "github.com/C2SP/wycheproof@v0.0.0-20250901140545-b51abcfb8daf"

var wycheproof struct {
	once sync.Once
	dir  string
	err  error
}

// wycheproofDir downloads the Wycheproof module (or finds it in the module
// cache) and returns its directory. A failed download ends the test through
// testenv.Need: a skip locally, a failure under CI.
func wycheproofDir(t *testing.T) string {
	t.Helper()
	wycheproof.once.Do(func() {
		cmd := exec.Command("go", "mod", "download", "-json", wycheproofModule)
		cmd.Dir = t.TempDir() // outside the module: download, do not require
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			wycheproof.err = fmt.Errorf("go mod download %s: %w: %s %s", wycheproofModule, err, out, stderr.Bytes())
			return
		}
		var info struct{ Dir, Error string }
		if err := json.Unmarshal(out, &info); err != nil {
			wycheproof.err = fmt.Errorf("go mod download -json: %w", err)
			return
		}
		if info.Error != "" || info.Dir == "" {
			wycheproof.err = fmt.Errorf("go mod download %s: %s", wycheproofModule, info.Error)
			return
		}
		wycheproof.dir = info.Dir
	})
	if wycheproof.err != nil {
		testenv.Need(t, "the Wycheproof test vectors", fmt.Sprintf("they are fetched with `go mod download -json %s`, which needs the Go module proxy (%v)", wycheproofModule, wycheproof.err))
	}
	return wycheproof.dir
}

type wycheproofFile struct {
	Algorithm     string `json:"algorithm"`
	NumberOfTests int    `json:"numberOfTests"`
	TestGroups    []struct {
		PublicKey   string `json:"publicKey"`
		PrivateSeed string `json:"privateSeed"`
		PrivateKey  string `json:"privateKey"`
		Tests       []struct {
			TcID    int      `json:"tcId"`
			Comment string   `json:"comment"`
			Flags   []string `json:"flags"`
			Msg     string   `json:"msg"`
			Ctx     *string  `json:"ctx"`
			Sig     string   `json:"sig"`
			Result  string   `json:"result"`
		} `json:"tests"`
	} `json:"testGroups"`
}

// TestWycheproofMLDSA runs every ML-DSA vector of Wycheproof through the
// backend's public API: verification with a public key given as
// SubjectPublicKeyInfo, deterministic signing from a seed, and deterministic
// signing from an expanded private key, which is validated on load. Every
// vector must pass; invalid ones must be refused at key load (a private or
// public key of the wrong size or out of range, a context over 255 bytes) or
// by Verify as an invalid signature.
func TestWycheproofMLDSA(t *testing.T) {
	dir := wycheproofDir(t)
	total, passed := 0, 0
	for _, set := range []struct {
		n   string
		alg provider.Algorithm
	}{{"44", provider.MLDSA44}, {"65", provider.MLDSA65}, {"87", provider.MLDSA87}} {
		for _, kind := range []string{"verify", "sign_seed", "sign_noseed"} {
			name := fmt.Sprintf("mldsa_%s_%s_test.json", set.n, kind)
			t.Run(name, func(t *testing.T) {
				data, err := os.ReadFile(filepath.Join(dir, "testvectors_v1", name))
				if err != nil {
					t.Fatalf("reading the vectors: %v", err)
				}
				var f wycheproofFile
				if err := json.Unmarshal(data, &f); err != nil {
					t.Fatalf("parsing %s: %v", name, err)
				}
				n, ok := 0, 0
				for _, g := range f.TestGroups {
					for _, tc := range g.Tests {
						n++
						err := runWycheproof(t, set.alg, kind, g.PublicKey, g.PrivateSeed, g.PrivateKey, tc.Msg, tc.Ctx, tc.Sig, tc.Result)
						if err != nil {
							t.Errorf("tcId %d (%s, %s, flags %v): %v", tc.TcID, tc.Comment, tc.Result, tc.Flags, err)
							continue
						}
						ok++
					}
				}
				if n != f.NumberOfTests {
					t.Errorf("ran %d vectors, the file declares %d", n, f.NumberOfTests)
				}
				if n == 0 {
					t.Fatal("no vectors in the file")
				}
				t.Logf("%s: %d of %d vectors pass", name, ok, n)
				total += n
				passed += ok
			})
		}
	}
	t.Logf("Wycheproof ML-DSA: %d of %d vectors pass", passed, total)
}

// runWycheproof runs one vector and returns why it failed, or nil.
func runWycheproof(t *testing.T, alg provider.Algorithm, kind, pubHex, seedHex, skHex, msgHex string, ctxHex *string, sigHex, result string) error {
	ctx := context.Background()
	opts := pqc.Options{Algorithm: alg, Deterministic: true}
	if ctxHex != nil {
		opts.Context = testenv.Hex(t, *ctxHex)
	}
	msg, sig := testenv.Hex(t, msgHex), testenv.Hex(t, sigHex)
	var key *pqc.Key
	var err error
	switch kind {
	case "verify":
		var spki []byte
		spki, err = pqc.MarshalPublicKey(alg, testenv.Hex(t, pubHex))
		if err == nil {
			key, err = pqc.NewVerifier(spki, opts)
		}
	case "sign_seed":
		key, err = pqc.NewFromSeed(testenv.Hex(t, seedHex), opts)
	case "sign_noseed":
		key, err = pqc.NewFromPrivateKey(testenv.Hex(t, skHex), opts)
	}
	if err != nil {
		if result == "valid" {
			return fmt.Errorf("key refused: %v", err)
		}
		if !errors.Is(err, provider.ErrInvalidConfig) {
			return fmt.Errorf("key refused with %v, want ErrInvalidConfig", err)
		}
		return nil // an invalid vector refused at load, as it should be
	}
	defer key.Close()
	if kind != "verify" {
		got, err := key.Sign(ctx, msg)
		if err != nil {
			return fmt.Errorf("Sign: %v", err)
		}
		same := bytes.Equal(got, sig)
		switch {
		case result == "valid" && !same:
			return fmt.Errorf("deterministic signature differs from the vector's")
		case result == "invalid":
			return fmt.Errorf("the key was accepted and signed (same signature as the vector: %v)", same)
		}
	}
	err = key.Verify(ctx, msg, sig)
	switch {
	case result == "valid" && err != nil:
		return fmt.Errorf("Verify: %v", err)
	case result == "invalid" && err == nil:
		return fmt.Errorf("Verify accepted an invalid signature")
	case result == "invalid" && !errors.Is(err, provider.ErrInvalidSignature):
		return fmt.Errorf("Verify returned %v, want ErrInvalidSignature", err)
	case result != "valid" && result != "invalid":
		if !strings.EqualFold(result, "acceptable") {
			return fmt.Errorf("unknown result %q", result)
		}
	}
	return nil
}
