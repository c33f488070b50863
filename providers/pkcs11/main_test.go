//go:build cgo && !nopkcs11

package pkcs11

import (
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/tinywindow/tinywindow/internal/testenv"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/hmac"
)

// The tests run against a real SoftHSM2 token, created by TestMain in a
// temporary directory of its own (SOFTHSM2_CONF), never against a mock.
const (
	testToken  = "tinywindow-test"
	otherToken = "tinywindow-other" // a second token, so that a URI must pick one
	testPIN    = "1234"
	testSOPIN  = "12345678"
	testPINEnv = "TW_PKCS11_TEST_PIN"
)

var softhsm struct {
	module  string
	dir     string
	missing string // why SoftHSM2 cannot be used, if it cannot
}

func TestMain(m *testing.M) {
	os.Exit(func() int {
		if err := setUpSoftHSM(); err != nil {
			softhsm.missing = err.Error()
		}
		if softhsm.dir != "" {
			defer os.RemoveAll(softhsm.dir)
		}
		return m.Run()
	}())
}

// setUpSoftHSM writes a private SoftHSM2 config and token directory and
// initialises a token labelled testToken with softhsm2-util.
func setUpSoftHSM() error {
	mod := os.Getenv("TW_PKCS11_MODULE")
	if mod == "" {
		for _, p := range []string{"/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so"} {
			if _, err := os.Stat(p); err == nil {
				mod = p
				break
			}
		}
	}
	if mod == "" {
		return fmt.Errorf("no SoftHSM2 module: TW_PKCS11_MODULE is unset and libsofthsm2.so is not in /usr/lib/softhsm")
	}
	util, err := exec.LookPath("softhsm2-util")
	if err != nil {
		return fmt.Errorf("softhsm2-util is not on PATH: %w", err)
	}
	dir, err := os.MkdirTemp("", "tw-softhsm-")
	if err != nil {
		return err
	}
	softhsm.dir = dir
	tokens := filepath.Join(dir, "tokens")
	if err := os.Mkdir(tokens, 0o700); err != nil {
		return err
	}
	conf := filepath.Join(dir, "softhsm2.conf")
	text := fmt.Sprintf("directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n", tokens)
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		return err
	}
	os.Setenv("SOFTHSM2_CONF", conf)
	os.Setenv(testPINEnv, testPIN)
	out, err := exec.Command(util, "--init-token", "--free", "--label", testToken, "--so-pin", testSOPIN, "--pin", testPIN).CombinedOutput()
	if err != nil {
		return fmt.Errorf("softhsm2-util --init-token: %w: %s", err, out)
	}
	out, err = exec.Command(util, "--init-token", "--free", "--label", otherToken, "--so-pin", testSOPIN, "--pin", testPIN).CombinedOutput()
	if err != nil {
		return fmt.Errorf("softhsm2-util --init-token: %w: %s", err, out)
	}
	softhsm.module = mod
	return nil
}

func needSoftHSM(t testing.TB) {
	t.Helper()
	if softhsm.missing != "" {
		testenv.Need(t, "SoftHSM2", softhsm.missing+"; install the Debian package softhsm2 (scripts/setup.d/20-softhsm.sh does) and set TW_PKCS11_MODULE")
	}
}

// keyURI names a key of the test token; extra query attributes follow.
func keyURI(object string, extra ...string) string {
	u := fmt.Sprintf("pkcs11:token=%s;object=%s?module-path=%s&pin-source=env:%s", testToken, object, softhsm.module, testPINEnv)
	for _, e := range extra {
		u += "&" + e
	}
	return u
}

// The keys every test shares, created once in the token through Generate,
// as `tinywindow keygen` does.
var testKeys = []struct {
	object string
	alg    provider.Algorithm
	seed   int64 // HMAC keys imported from the MVP's seed, or -1
}{
	{"hmac", provider.HMACSHA256, -1},
	{"hmac-other", provider.HMACSHA256, -1},
	{"hmac-mvp42", provider.HMACSHA256, 42},
	{"p256", provider.ECDSAP256SHA256, -1},
	{"p256-other", provider.ECDSAP256SHA256, -1},
	{"p384", provider.ECDSAP384SHA384, -1},
	{"p384-other", provider.ECDSAP384SHA384, -1},
	{"ed25519", provider.Ed25519, -1},
	{"ed25519-other", provider.Ed25519, -1},
	{"rsa", provider.RSAPSSSHA256, -1},
	{"rsa-other", provider.RSAPSSSHA256, -1},
}

var (
	keysOnce sync.Once
	keysErr  error
	keyInfos = map[string]provider.KeyInfo{}
)

// needKeys skips (or fails under CI) without SoftHSM2, and creates the test
// keys on first use.
func needKeys(t testing.TB) {
	t.Helper()
	needSoftHSM(t)
	keysOnce.Do(func() {
		for _, k := range testKeys {
			req := provider.GenerateRequest{Algorithm: k.alg}
			if k.seed >= 0 {
				secret := hmac.Keygen(uint64(k.seed))
				env := "TW_PKCS11_TEST_IMPORT"
				os.Setenv(env, hex.EncodeToString(secret[:]))
				req.Import = "env:" + env
			}
			info, err := provider.Generate(context.Background(), keyURI(k.object), req)
			os.Unsetenv("TW_PKCS11_TEST_IMPORT")
			if err != nil {
				keysErr = fmt.Errorf("keygen %s %s: %w", k.object, k.alg, err)
				return
			}
			keyInfos[k.object] = info
		}
	})
	if keysErr != nil {
		t.Fatal(keysErr)
	}
}

// inner returns the *Key behind a provider.Key of this backend.
func inner(t testing.TB, k provider.Key) *Key {
	t.Helper()
	switch v := k.(type) {
	case *Key:
		return v
	case *AsymmetricKey:
		return v.Key
	}
	t.Fatalf("key is a %T, not a pkcs11 key", k)
	return nil
}
