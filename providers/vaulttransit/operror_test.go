package vaulttransit_test

import (
	"net/http"
	"testing"

	"github.com/hashicorp/vault/api"

	"github.com/tinywindow/tinywindow/internal/cloudkey/cloudkeytest"
	"github.com/tinywindow/tinywindow/provider"
)

// TestOpErrorShape pins the message of a failed Transit call: backend,
// endpoint and key first, then the kind and the client's error, the remedy
// left to the OpError's field; errors.As reaches the *provider.OpError and
// the *api.ResponseError.
func TestOpErrorShape(t *testing.T) {
	d := startVault()
	defer d.srv.Close()
	d.addKey("transit", "ec", "ecdsa-p256")
	d.addKey("transit", "mac", "hmac")
	ctx := t.Context()
	open := func(key string) provider.Key {
		k, err := provider.Open(ctx, d.uri(key, "max-attempts=1"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { k.Close() })
		return k
	}
	ec, mac, closed := open("ec"), open("mac"), open("mac")
	closed.Close()
	for _, tc := range []struct {
		name           string
		status         int // injected into every call; 0: none
		call           func() error
		prefix, suffix string
		remedy         string
		native         bool // an *api.ResponseError is reachable
	}{
		{"hmac refused", 403, func() error { _, err := mac.Sign(ctx, []byte("m")); return err },
			"vault hmac mac: permission denied: Error making API request.",
			"* denied by the test", "the token is invalid or expired, or its policy lacks this path; see docs/vault.md for the policy", true},
		{"verify sealed", 503, func() error { return mac.Verify(ctx, []byte("m"), make([]byte, 32)) },
			"vault verify mac: backend unavailable: Error making API request.", "* denied by the test", "", true},
		{"sign of a missing key", 404, func() error { _, err := ec.Sign(ctx, []byte("m")); return err },
			"vault sign ec: key not found: Error making API request.",
			"* denied by the test", "check addr, namespace, mount and key: no such Transit key or version there", true},
		{"wrong tag", 0, func() error { return mac.Verify(ctx, []byte("m"), make([]byte, 32)) },
			"vault verify mac: invalid signature: ", "", "", false},
		{"closed", 0, func() error { _, err := closed.Sign(ctx, []byte("m")); return err },
			"vault mac: key is closed", "vault mac: key is closed", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.status != 0 {
				d.setFault(func(*http.Request, string) (int, string) { return tc.status, "denied by the test" })
				defer d.setFault(nil)
			}
			cloudkeytest.CheckOpError[*api.ResponseError](t, tc.call(), "vault", tc.prefix, tc.suffix, tc.remedy, tc.native)
		})
	}
}
