package azurekv_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/azurekv"
)

// TestOpErrorShape pins the message of a failed Key Vault call: backend,
// operation and key identifier first, then the kind, the HTTP status and
// the remedy; errors.As reaches the *provider.OpError and the
// *azcore.ResponseError.
func TestOpErrorShape(t *testing.T) {
	v := startVault()
	defer v.Close()
	ctx := t.Context()
	k, err := azurekv.OpenWithOptions(ctx, v.uri("p256"), v.options())
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	id := k.Info().Version
	for _, tc := range []struct {
		name           string
		fault          *fault
		call           func() error
		prefix, suffix string
		native         bool // an *azcore.ResponseError is reachable
	}{
		{"sign refused", &fault{op: "sign", status: 403, code: "Forbidden"}, func() error { _, err := k.Sign(ctx, []byte("m")); return err },
			"azurekv Sign ", "/keys/p256/" + id + ": permission denied: HTTP 403 Forbidden: ", true},
		{"missing key", nil, func() error { _, err := azurekv.OpenWithOptions(ctx, v.uri("no-such-key"), v.options()); return err },
			"azurekv GetKey ", "/keys/no-such-key: key not found: HTTP 404 KeyNotFound: ", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.fault != nil {
				v.inject(*tc.fault)
			}
			err := tc.call()
			if err == nil || !strings.HasPrefix(err.Error(), tc.prefix) || !strings.Contains(err.Error(), tc.suffix) {
				t.Fatalf("error:\n%v\nwant it to start with %q and hold %q", err, tc.prefix, tc.suffix)
			}
			var oe *provider.OpError
			if !errors.As(err, &oe) || oe.Backend != "azurekv" {
				t.Errorf("no *provider.OpError of azurekv in %v", err)
			}
			var re *azcore.ResponseError
			if got := errors.As(err, &re); got != tc.native {
				t.Errorf("*azcore.ResponseError reachable = %v, want %v", got, tc.native)
			}
		})
	}
}
