package pqc_test

import (
	"crypto/fips140"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/pqc"
)

// TestEngineBadInput checks the refusals of engine=: an unknown engine, and
// what the std engine does not do (SLH-DSA, expanded private keys), each with
// a message saying what to write instead.
func TestEngineBadInput(t *testing.T) {
	seed := writeSecretFile(t, "seed", testSeed(32, 1))
	slhSeed := writeSecretFile(t, "slh", testSeed(48, 1))
	sk := writeSecretFile(t, "sk", circlPrivateKey(t, provider.MLDSA44, testSeed(32, 1)))
	for _, tc := range []struct {
		uri  string
		kind error
		want string
	}{
		{"pqc:seed-source=file:" + seed + ";engine=liboqs", provider.ErrInvalidConfig, `engine="liboqs"`},
		{"pqc:seed-source=file:" + seed + ";engine=", provider.ErrInvalidConfig, `engine=""`},
		{"pqc:alg=SLH-DSA-SHA2-128f;seed-source=file:" + slhSeed + ";engine=std", provider.ErrUnsupported, "SLH-DSA-SHA2-128f"},
		{"pqc:alg=ML-DSA-44;key-source=file:" + sk + ";engine=std", provider.ErrUnsupported, ""},
	} {
		t.Run(tc.uri[strings.LastIndex(tc.uri, ";"):], func(t *testing.T) {
			if fips140.Enabled() {
				t.Skip("in FIPS 140-3 mode every non-std key is refused earlier")
			}
			k, err := provider.Open(t.Context(), tc.uri)
			if err == nil {
				k.Close()
				t.Fatalf("Open(%s) succeeded", tc.uri)
			}
			if !errors.Is(err, tc.kind) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Open(%s): %v, want %v mentioning %q", tc.uri, err, tc.kind, tc.want)
			}
		})
	}
}

// TestDefaultEngine checks that a key naming no engine uses circl outside
// FIPS 140-3 mode.
func TestDefaultEngine(t *testing.T) {
	if fips140.Enabled() {
		t.Skip("FIPS 140-3 mode: see TestFIPSMode")
	}
	k, err := pqc.NewFromSeed(testSeed(32, 3), pqc.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	if k.Engine() != pqc.EngineCircl || pqc.DefaultEngine() != pqc.EngineCircl {
		t.Fatalf("default engine %q (DefaultEngine %q), want circl", k.Engine(), pqc.DefaultEngine())
	}
	if !slices.Contains(pqc.Engines(), pqc.EngineCircl) {
		t.Fatalf("Engines() = %v lacks circl", pqc.Engines())
	}
}

// TestFIPSMode runs itself again under GODEBUG=fips140=on and checks what the
// backend does there: ML-DSA keys use the std engine (or, built with Go 1.26,
// are refused as needing Go 1.27), SLH-DSA and engine=circl are refused with
// ErrUnsupported naming FIPS mode.
func TestFIPSMode(t *testing.T) {
	if !fips140.Enabled() {
		if testing.Short() {
			t.Skip("-short")
		}
		cmd := exec.Command(os.Args[0], "-test.run=^TestFIPSMode$", "-test.v", "-test.count=1")
		cmd.Env = append(os.Environ(), "GODEBUG=fips140=on")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "--- PASS: TestFIPSMode") {
			t.Fatalf("TestFIPSMode under GODEBUG=fips140=on: %v\n%s", err, out)
		}
		return
	}
	if pqc.DefaultEngine() != pqc.EngineStd {
		t.Errorf("DefaultEngine() = %q in FIPS mode, want std", pqc.DefaultEngine())
	}
	seed := writeSecretFile(t, "seed", testSeed(32, 4))
	k, err := provider.Open(t.Context(), "pqc:alg=ML-DSA-65;seed-source=file:"+seed)
	if stdAvailable {
		if err != nil {
			t.Fatalf("ML-DSA-65 in FIPS mode: %v", err)
		}
		defer k.Close()
		if e := k.(*pqc.Key).Engine(); e != pqc.EngineStd {
			t.Errorf("ML-DSA-65 in FIPS mode uses engine %q, want std", e)
		}
		sig, err := k.Sign(t.Context(), []byte("order"))
		if err != nil {
			t.Fatal(err)
		}
		if err := k.Verify(t.Context(), []byte("order"), sig); err != nil {
			t.Fatal(err)
		}
	} else if !errors.Is(err, provider.ErrUnsupported) || !strings.Contains(err.Error(), "needs Go 1.27") {
		t.Fatalf("ML-DSA-65 in FIPS mode, built with Go 1.26: %v, want ErrUnsupported saying it needs Go 1.27", err)
	}
	slhSeed := writeSecretFile(t, "slh", testSeed(48, 4))
	for _, uri := range []string{
		"pqc:alg=SLH-DSA-SHA2-128s;seed-source=file:" + slhSeed,
		"pqc:alg=ML-DSA-65;seed-source=file:" + seed + ";engine=circl",
	} {
		k, err := provider.Open(t.Context(), uri)
		if err == nil {
			k.Close()
			t.Fatalf("Open(%s) in FIPS mode succeeded", uri)
		}
		if !errors.Is(err, provider.ErrUnsupported) || !strings.Contains(err.Error(), "FIPS 140-3 mode") {
			t.Errorf("Open(%s) in FIPS mode: %v, want ErrUnsupported naming FIPS 140-3 mode", uri, err)
		}
	}
	fmt.Println("FIPS 140-3 mode checked, module", fips140.Version())
}
