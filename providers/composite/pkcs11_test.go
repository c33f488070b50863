//go:build cgo && !nopkcs11

package composite_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/tinywindow/tinywindow/conformance"
	"github.com/tinywindow/tinywindow/internal/testenv"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/composite"
	_ "github.com/tinywindow/tinywindow/providers/pkcs11"
)

const (
	hsmToken  = "tw-composite"
	hsmPINEnv = "TW_COMPOSITE_TEST_PIN"
)

var hsm struct {
	once    sync.Once
	module  string
	missing string
	err     error
}

// needHSM initialises a SoftHSM2 token of the tests' own in a temporary
// directory and creates the classical keys the tests use, through Generate
// as `tinywindow keygen` does.
func needHSM(t testing.TB) {
	t.Helper()
	hsm.once.Do(func() {
		mod := os.Getenv("TW_PKCS11_MODULE")
		if mod == "" {
			mod = "/usr/lib/softhsm/libsofthsm2.so"
		}
		if _, err := os.Stat(mod); err != nil {
			hsm.missing = fmt.Sprintf("no SoftHSM2 module at %s", mod)
			return
		}
		util, err := exec.LookPath("softhsm2-util")
		if err != nil {
			hsm.missing = "softhsm2-util is not on PATH"
			return
		}
		dir, err := os.MkdirTemp("", "tw-composite-hsm-")
		if err != nil {
			hsm.err = err
			return
		}
		atExit(func() { os.RemoveAll(dir) })
		conf := filepath.Join(dir, "softhsm2.conf")
		if err := os.Mkdir(filepath.Join(dir, "tokens"), 0o700); err != nil {
			hsm.err = err
			return
		}
		text := fmt.Sprintf("directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n", filepath.Join(dir, "tokens"))
		if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
			hsm.err = err
			return
		}
		os.Setenv("SOFTHSM2_CONF", conf)
		os.Setenv(hsmPINEnv, "1234")
		if out, err := exec.Command(util, "--init-token", "--free", "--label", hsmToken, "--so-pin", "12345678", "--pin", "1234").CombinedOutput(); err != nil {
			hsm.err = fmt.Errorf("softhsm2-util --init-token: %w: %s", err, out)
			return
		}
		hsm.module = mod
		for obj, alg := range map[string]provider.Algorithm{
			"p256": provider.ECDSAP256SHA256, "p256-other": provider.ECDSAP256SHA256,
			"p384": provider.ECDSAP384SHA384, "ed25519": provider.Ed25519, "ed25519-other": provider.Ed25519,
		} {
			if _, err := provider.Generate(t.Context(), hsmURI(obj), provider.GenerateRequest{Algorithm: alg}); err != nil {
				hsm.err = fmt.Errorf("keygen %s: %w", obj, err)
				return
			}
		}
	})
	if hsm.err != nil {
		t.Fatal(hsm.err)
	}
	if hsm.missing != "" {
		testenv.Need(t, "SoftHSM2 ("+hsm.missing+")", "install the Debian package softhsm2 (scripts/setup.d/20-softhsm.sh does) and set TW_PKCS11_MODULE")
	}
}

func hsmURI(object string) string {
	return fmt.Sprintf("pkcs11:token=%s;object=%s?module-path=%s&pin-source=env:%s", hsmToken, object, hsm.module, hsmPINEnv)
}

// TestConformancePKCS11 runs the shared suite on MLDSA65-ECDSA-P256-SHA512
// with the classical key in SoftHSM2 and the ML-DSA key in pqc.
func TestConformancePKCS11(t *testing.T) {
	needHSM(t)
	alg := composite.MLDSA65ECDSAP256SHA512
	conformance.Test(t, conformance.Subject{
		Open:  conformance.OpenURI(composite.URI(alg, pqURI(t, provider.MLDSA65, 11), hsmURI("p256"))),
		Other: conformance.OpenURI(composite.URI(alg, pqURI(t, provider.MLDSA65, 12), hsmURI("p256-other"))),
	})
}

// TestConformancePKCS11Ed25519 runs the suite on MLDSA44-Ed25519-SHA512 with
// the Ed25519 key in SoftHSM2.
func TestConformancePKCS11Ed25519(t *testing.T) {
	needHSM(t)
	alg := composite.MLDSA44Ed25519SHA512
	conformance.Test(t, conformance.Subject{
		Open:  conformance.OpenURI(composite.URI(alg, pqURI(t, provider.MLDSA44, 13), hsmURI("ed25519"))),
		Other: conformance.OpenURI(composite.URI(alg, pqURI(t, provider.MLDSA44, 14), hsmURI("ed25519-other"))),
	})
}

// BenchmarkPKCS11: MLDSA65-ECDSA-P256-SHA512, P-256 in SoftHSM2.
func BenchmarkPKCS11(b *testing.B) {
	needHSM(b)
	benchURI(b, composite.URI(composite.MLDSA65ECDSAP256SHA512, pqURI(b, provider.MLDSA65, 43), hsmURI("p256")))
}
