//go:build cgo && !nopkcs11

package pkcs11

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/miekg/pkcs11"

	"github.com/tinywindow/tinywindow/internal/cloudkey/cloudkeytest"
	"github.com/tinywindow/tinywindow/internal/testenv"
	"github.com/tinywindow/tinywindow/provider"
)

// TestOpErrorShape pins the message of a failed PKCS#11 call: backend,
// function and key first, then the kind and the token's CKR_* code, a
// remedy left to the OpError's field; errors.As reaches the
// *provider.OpError and the pkcs11.Error. Each case opens the keys it
// needs, so that the first two find the module not initialised and the
// token not logged in.
func TestOpErrorShape(t *testing.T) {
	needKeys(t)
	t.Setenv("TW_PKCS11_WRONG_PIN", "9999")
	ctx := t.Context()
	wrongPIN := strings.Replace(keyURI("p256"), testPINEnv, "TW_PKCS11_WRONG_PIN", 1)
	open := func(uri string) error {
		k, err := provider.Open(ctx, uri)
		if err == nil {
			k.Close()
		}
		return err
	}
	token := `token with token="` + testToken + `"`
	for _, tc := range []struct {
		name           string
		call           func(t *testing.T) error
		prefix, suffix string
		remedy         string
		native         bool // a pkcs11.Error is reachable
	}{
		{"module that does not initialise", func(t *testing.T) error {
			t.Setenv("SOFTHSM2_CONF", filepath.Join(t.TempDir(), "missing.conf"))
			return open(keyURI("p256"))
		}, "pkcs11 C_Initialize " + softhsm.module + ": backend unavailable: pkcs11: 0x5: ", "CKR_GENERAL_ERROR",
			"for SoftHSM2, check that SOFTHSM2_CONF names a readable config whose tokendir exists", true},
		{"wrong PIN", func(*testing.T) error { return open(wrongPIN) },
			`pkcs11 C_Login object "p256" in ` + token + `: permission denied: pkcs11: 0xA0: `, "CKR_PIN_INCORRECT", "", true},
		{"another PIN while logged in", func(t *testing.T) error {
			testenv.MustOpen(t, keyURI("hmac"))
			return open(wrongPIN)
		}, `pkcs11 C_Login object "p256" in ` + token + `: permission denied: the token in slot `, "with another PIN", "check pin-source", false},
		{"wrong tag", func(t *testing.T) error {
			return testenv.MustOpen(t, keyURI("hmac")).Verify(ctx, []byte("m"), make([]byte, 32))
		}, `pkcs11 C_Verify object "hmac" in ` + token + `: invalid signature: pkcs11: 0xC0: `, "CKR_SIGNATURE_INVALID", "", true},
		{"closed", func(t *testing.T) error {
			k := testenv.MustOpen(t, keyURI("hmac"))
			k.Close()
			_, err := k.Sign(ctx, []byte("m"))
			return err
		}, `pkcs11 object "hmac" in ` + token + `: key is closed`, `pkcs11 object "hmac" in ` + token + `: key is closed`, "", false},
		{"context done", func(t *testing.T) error {
			k := testenv.MustOpen(t, keyURI("hmac"))
			canceled, cancel := context.WithCancel(ctx)
			cancel()
			_, err := k.Sign(canceled, []byte("m"))
			return err
		}, `pkcs11 object "hmac" in ` + token + `: backend unavailable: context canceled`, "context canceled", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cloudkeytest.CheckOpError[pkcs11.Error](t, tc.call(t), Scheme, tc.prefix, tc.suffix, tc.remedy, tc.native)
		})
	}
}
