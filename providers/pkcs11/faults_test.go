//go:build cgo && !nopkcs11

package pkcs11

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miekg/pkcs11"
	"github.com/tinywindow/tinywindow/internal/testenv"
	"github.com/tinywindow/tinywindow/provider"
)

// TestFaults checks that each bad configuration or missing part gives a clear
// error of the right kind, and never a crash.
func TestFaults(t *testing.T) {
	needKeys(t)
	t.Setenv("TW_PKCS11_WRONG_PIN", "9999")
	notAModule := filepath.Join(t.TempDir(), "not-a-module.so")
	if err := os.WriteFile(notAModule, []byte("not an ELF file"), 0o644); err != nil {
		t.Fatal(err)
	}
	base := "pkcs11:token=" + testToken + ";object=p256?module-path=" + softhsm.module + "&pin-source=env:" + testPINEnv
	for _, tc := range []struct {
		name, uri string
		want      error
		msg       string
	}{
		{"wrong PIN", strings.Replace(base, "env:"+testPINEnv, "env:TW_PKCS11_WRONG_PIN", 1), provider.ErrPermissionDenied, "CKR_PIN_INCORRECT"},
		{"PIN variable unset", strings.Replace(base, "env:"+testPINEnv, "env:TW_PKCS11_NO_SUCH_VAR", 1), provider.ErrInvalidConfig, "not set"},
		{"wrong module path", strings.Replace(base, softhsm.module, "/nonexistent/libnothing.so", 1), provider.ErrInvalidConfig, "module-path"},
		{"module path not a module", strings.Replace(base, softhsm.module, notAModule, 1), provider.ErrInvalidConfig, "cannot be loaded"},
		{"missing token", strings.Replace(base, "token="+testToken, "token=no-such-token", 1), provider.ErrKeyNotFound, `no token with token="no-such-token" in module`},
		{"missing serial", strings.Replace(base, "token="+testToken, "serial=0000", 1), provider.ErrKeyNotFound, "serial"},
		{"key not found", strings.Replace(base, "object=p256", "object=no-such-key", 1), provider.ErrKeyNotFound, "no private or secret key"},
		{"no PIN, so the private key is invisible", strings.Replace(base, "&pin-source=env:"+testPINEnv, "", 1), provider.ErrKeyNotFound, "without login"},
		{"token and a slot-id of another slot", strings.Replace(base, "token="+testToken, "token="+testToken+";slot-id=0", 1), provider.ErrKeyNotFound, `token="` + testToken + `" serial=`},
		{"max-sessions=0", base + "&max-sessions=0", provider.ErrInvalidConfig, "max-sessions"},
		{"pin-value", base + "&pin-value=1234", provider.ErrInvalidConfig, "pin-value"},
		{"EC key opened as HMAC", base + "&alg=HMAC-SHA256", provider.ErrUnsupported, "is for ECDSA-P256-SHA256, not for HMAC-SHA256"},
		{"P-256 key opened as P-384", base + "&alg=ECDSA-P384-SHA384", provider.ErrUnsupported, "not for ECDSA-P384-SHA384"},
		{"HMAC key opened as Ed25519", strings.Replace(base, "object=p256", "object=hmac", 1) + "&alg=Ed25519", provider.ErrUnsupported, "is for HMAC-SHA256"},
		{"RSA key opened as ECDSA", strings.Replace(base, "object=p256", "object=rsa", 1) + "&alg=ECDSA-P256-SHA256", provider.ErrUnsupported, "is for RSA-PSS-SHA256"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, err := provider.Open(t.Context(), tc.uri)
			if err == nil {
				k.Close()
				t.Fatalf("Open succeeded")
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("Open: %v; want an error matching %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("Open: %q does not say %q", err, tc.msg)
			}
			if strings.Contains(err.Error(), testPIN) || strings.Contains(err.Error(), "9999") {
				t.Fatalf("the error shows a PIN: %v", err)
			}
		})
	}
	// A failed Open releases the module: nothing stays initialised.
	modules.mu.Lock()
	m := modules.byPath[softhsm.module]
	refs := m.refs
	modules.mu.Unlock()
	if refs != 0 {
		t.Fatalf("after the failed opens the module has %d users, want 0", refs)
	}
}

// TestShortHMACKey checks that a generic secret shorter than 32 bytes, made
// outside TinyWindow, is refused when opened.
func TestShortHMACKey(t *testing.T) {
	needKeys(t)
	k := testenv.MustOpen(t, keyURI("hmac"))
	ik := inner(t, k)
	sh, err := ik.mod.ctx.OpenSession(ik.slot, pkcs11.CKF_SERIAL_SESSION|pkcs11.CKF_RW_SESSION)
	if err != nil {
		t.Fatal(err)
	}
	defer ik.mod.ctx.CloseSession(sh)
	obj, err := ik.mod.ctx.CreateObject(sh, []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY),
		pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_GENERIC_SECRET),
		pkcs11.NewAttribute(pkcs11.CKA_TOKEN, true),
		pkcs11.NewAttribute(pkcs11.CKA_PRIVATE, true),
		pkcs11.NewAttribute(pkcs11.CKA_SIGN, true),
		pkcs11.NewAttribute(pkcs11.CKA_VERIFY, true),
		pkcs11.NewAttribute(pkcs11.CKA_LABEL, "hmac-short"),
		pkcs11.NewAttribute(pkcs11.CKA_VALUE, make([]byte, 16)),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer ik.mod.ctx.DestroyObject(sh, obj) // the token outlives the test: -count=N
	_, err = provider.Open(t.Context(), keyURI("hmac-short"))
	if !errors.Is(err, provider.ErrUnsupported) || !strings.Contains(err.Error(), "16 bytes") {
		t.Fatalf("Open of a 16-byte HMAC key: %v; want ErrUnsupported naming its size", err)
	}
}

// TestKeygenRefusesExisting checks that keygen never replaces a key.
func TestKeygenRefusesExisting(t *testing.T) {
	needKeys(t)
	for _, tc := range []struct {
		name string
		uri  string
		req  provider.GenerateRequest
		want error
	}{
		{"existing label", keyURI("p256"), provider.GenerateRequest{Algorithm: provider.ECDSAP256SHA256}, provider.ErrInvalidConfig},
		{"import of a non-HMAC key", keyURI("new-ec"), provider.GenerateRequest{Algorithm: provider.ECDSAP256SHA256, Import: "env:" + testPINEnv}, provider.ErrUnsupported},
		{"import of a short key", keyURI("new-hmac"), provider.GenerateRequest{Import: "env:" + testPINEnv}, provider.ErrInvalidConfig},
		{"no object", "pkcs11:token=" + testToken + ";id=%01?module-path=" + softhsm.module + "&pin-source=env:" + testPINEnv, provider.GenerateRequest{}, provider.ErrInvalidConfig},
		{"no PIN", "pkcs11:token=" + testToken + ";object=x?module-path=" + softhsm.module, provider.GenerateRequest{}, provider.ErrInvalidConfig},
		{"algorithm not offered", keyURI("new-mldsa"), provider.GenerateRequest{Algorithm: provider.MLDSA65}, provider.ErrUnsupported},
		{"type=secret-key for an EC key", strings.Replace(keyURI("new-ec2"), "object=new-ec2", "object=new-ec2;type=secret-key", 1), provider.GenerateRequest{Algorithm: provider.ECDSAP256SHA256}, provider.ErrInvalidConfig},
		{"type=private for an HMAC key", strings.Replace(keyURI("new-hmac2"), "object=new-hmac2", "object=new-hmac2;type=private", 1), provider.GenerateRequest{Algorithm: provider.HMACSHA256}, provider.ErrInvalidConfig},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := provider.Generate(t.Context(), tc.uri, tc.req)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Generate: %v; want an error matching %v", err, tc.want)
			}
		})
	}
}

// TestCancelWhileWaitingForSession checks that a context ending while every
// session is borrowed gives an error that is not ErrInvalidSignature.
func TestCancelWhileWaitingForSession(t *testing.T) {
	needKeys(t)
	k := testenv.MustOpen(t, keyURI("hmac", "max-sessions=1"))
	ik := inner(t, k)
	msg := []byte("order")
	tag, err := k.Sign(t.Context(), msg)
	if err != nil {
		t.Fatal(err)
	}
	sh, err := ik.pool.get(t.Context()) // hold the only session
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	if _, err := k.Sign(ctx, msg); !errors.Is(err, provider.ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Sign while no session is free: %v; want ErrUnavailable and DeadlineExceeded", err)
	}
	if err := k.Verify(ctx, msg, tag); err == nil || errors.Is(err, provider.ErrInvalidSignature) {
		t.Errorf("Verify while no session is free: %v; want an error that is not ErrInvalidSignature", err)
	}
	ik.pool.put(sh)
	if err := k.Verify(t.Context(), msg, tag); err != nil {
		t.Fatalf("Verify once the session is back: %v", err)
	}
}
