package vaulttransit_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"

	"github.com/tinywindow/tinywindow/internal/testenv"
	"github.com/tinywindow/tinywindow/provider"
)

// TestFaults makes the double answer with Vault's error statuses and checks
// the sentinel, that the *api.ResponseError stays reachable, and how many
// attempts the client made (max-attempts=3).
func TestFaults(t *testing.T) {
	d := startVault()
	defer d.srv.Close()
	d.addKey("transit", "ec", "ecdsa-p256")
	d.addKey("transit", "mac", "hmac")
	ctx := t.Context()
	open := func(key string, attrs ...string) provider.Key {
		t.Helper()
		k, err := provider.Open(ctx, d.uri(key, append([]string{"max-attempts=3", "max-backoff=5ms"}, attrs...)...))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { k.Close() })
		return k
	}
	ec, ecRemote, mac := open("ec"), open("ec", "verify=remote"), open("mac")
	msg := []byte("order 1")
	sig, err := ec.Sign(ctx, msg)
	if err != nil {
		t.Fatal(err)
	}
	tag, err := mac.Sign(ctx, msg)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		status   int
		msg      string
		want     error
		attempts int
	}{
		{"permission denied", 403, "permission denied", provider.ErrPermissionDenied, 1},
		{"key not found", 400, "signing key not found", provider.ErrKeyNotFound, 1},
		{"bad request", 400, "invalid request", provider.ErrInvalidConfig, 1},
		{"rate limited", 429, "request path \"transit/sign/ec\": rate limit quota exceeded", provider.ErrUnavailable, 3},
		{"sealed", 503, "Vault is sealed", provider.ErrUnavailable, 3},
		{"internal", 500, "internal error", provider.ErrUnavailable, 3},
		{"standby behind", 412, "", provider.ErrUnavailable, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d.setFault(func(*http.Request, string) (int, string) { return tc.status, tc.msg })
			defer d.setFault(nil)
			before := d.count("sign")
			_, err := ec.Sign(ctx, msg)
			testenv.NotInvalid(t, "Sign", err, tc.want)
			var re *api.ResponseError
			if !errors.As(err, &re) || re.StatusCode != tc.status {
				t.Errorf("*api.ResponseError with status %d not reachable from %v", tc.status, err)
			}
			if n := d.count("sign") - before; n != tc.attempts {
				t.Errorf("sign made %d attempts, want %d", n, tc.attempts)
			}
			testenv.NotInvalid(t, "remote Verify of a valid signature", ecRemote.Verify(ctx, msg, sig), tc.want)
			testenv.NotInvalid(t, "HMAC Verify of a valid tag", mac.Verify(ctx, msg, tag), tc.want)
			bad := append([]byte(nil), tag...)
			bad[0] ^= 1
			testenv.NotInvalid(t, "HMAC Verify of a forged tag", mac.Verify(ctx, msg, bad), tc.want)
			_, err = provider.Open(ctx, d.uri("ec", "max-attempts=3", "max-backoff=5ms"))
			testenv.NotInvalid(t, "Open", err, tc.want)
			if err := ec.Verify(ctx, msg, sig); err != nil {
				t.Errorf("local Verify needs no Vault, but returned %v", err)
			}
		})
	}
	_, err = provider.Open(ctx, d.uri("missing"))
	testenv.NotInvalid(t, "Open of a missing key", err, provider.ErrKeyNotFound)
}

// TestDeadline: a Vault that does not answer ends the call at the caller's
// deadline with ErrUnavailable.
func TestDeadline(t *testing.T) {
	d := startVault()
	defer d.srv.Close()
	d.addKey("transit", "ec", "ecdsa-p256")
	k, err := provider.Open(t.Context(), d.uri("ec", "max-attempts=5", "max-backoff=1ms"))
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	release := make(chan struct{})
	defer close(release) // before the server closes: it waits for the handler
	d.setFault(func(r *http.Request, _ string) (int, string) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
		return 503, "gone"
	})
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	_, err = k.Sign(ctx, []byte("order"))
	testenv.NotInvalid(t, "Sign past the deadline", err, provider.ErrUnavailable)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Sign past the deadline: %v does not wrap context.DeadlineExceeded", err)
	}
	if n := d.count("sign"); n != 1 {
		t.Errorf("sign made %d attempts; after the caller's deadline there must be no more", n)
	}
}

// TestServerGone: a Vault that is no longer there is ErrUnavailable, and
// local verification goes on.
func TestServerGone(t *testing.T) {
	d := startVault()
	d.addKey("transit", "ec", "ecdsa-p256")
	k, err := provider.Open(t.Context(), d.uri("ec", "max-attempts=2", "max-backoff=1ms"))
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	sig, err := k.Sign(t.Context(), []byte("m"))
	if err != nil {
		t.Fatal(err)
	}
	d.srv.Close()
	_, err = k.Sign(t.Context(), []byte("m"))
	testenv.NotInvalid(t, "Sign with Vault gone", err, provider.ErrUnavailable)
	if err := k.Verify(t.Context(), []byte("m"), sig); err != nil {
		t.Errorf("local Verify with Vault gone: %v", err)
	}
}

// TestMalformedAnswers: answers that are not a signature of the handle's
// version are ErrUnavailable, never a signature.
func TestMalformedAnswers(t *testing.T) {
	for _, tc := range []struct{ name, sig string }{
		{"no prefix", "MEUCIQ=="},
		{"other version", "vault:v2:MEUCIQ=="},
		{"not base64", "vault:v1:!!!"},
		{"empty", "vault:v1:"},
		{"too long", "vault:v1:" + "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startVault()
			defer srv.srv.Close()
			srv.addKey("transit", "ec", "ecdsa-p256")
			k, err := provider.Open(t.Context(), srv.uri("ec"))
			if err != nil {
				t.Fatal(err)
			}
			defer k.Close()
			srv.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, 200, map[string]any{"data": map[string]any{"signature": tc.sig, "key_version": 1}})
			})
			_, err = k.Sign(t.Context(), []byte("m"))
			testenv.NotInvalid(t, "Sign", err, provider.ErrUnavailable)
		})
	}
}
