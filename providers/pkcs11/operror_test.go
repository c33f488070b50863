//go:build cgo && !nopkcs11

package pkcs11

import (
	"context"
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
// *provider.OpError and the pkcs11.Error.
func TestOpErrorShape(t *testing.T) {
	needKeys(t)
	t.Setenv("TW_PKCS11_WRONG_PIN", "9999")
	ctx := t.Context()
	mac := testenv.MustOpen(t, keyURI("hmac"))
	closed := testenv.MustOpen(t, keyURI("hmac"))
	closed.Close()
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	token := `token with token="` + testToken + `"`
	for _, tc := range []struct {
		name           string
		call           func() error
		prefix, suffix string
		remedy         string
		native         bool // a pkcs11.Error is reachable
	}{
		{"another PIN while logged in", func() error {
			_, err := provider.Open(ctx, strings.Replace(keyURI("p256"), testPINEnv, "TW_PKCS11_WRONG_PIN", 1))
			return err
		}, `pkcs11 C_Login object "p256" in ` + token + `: permission denied: the token in slot `, "with another PIN", "check pin-source", false},
		{"wrong tag", func() error { return mac.Verify(ctx, []byte("m"), make([]byte, 32)) },
			`pkcs11 C_Verify object "hmac" in ` + token + `: invalid signature: pkcs11: 0xC0: `, "CKR_SIGNATURE_INVALID", "", true},
		{"closed", func() error { _, err := closed.Sign(ctx, []byte("m")); return err },
			`pkcs11 object "hmac" in ` + token + `: key is closed`, `pkcs11 object "hmac" in ` + token + `: key is closed`, "", false},
		{"context done", func() error { _, err := mac.Sign(canceled, []byte("m")); return err },
			`pkcs11 object "hmac" in ` + token + `: backend unavailable: context canceled`, "context canceled", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cloudkeytest.CheckOpError[pkcs11.Error](t, tc.call(), Scheme, tc.prefix, tc.suffix, tc.remedy, tc.native)
		})
	}
}
