package azurekv_test

import (
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/tinywindow/tinywindow/internal/cloudkey/cloudkeytest"
	"github.com/tinywindow/tinywindow/providers/azurekv"
)

// TestOpErrorShape pins the message of a failed Key Vault call: backend,
// operation and key identifier first, then the kind and the HTTP status,
// the remedy left to the OpError's field; errors.As reaches the
// *provider.OpError and the *azcore.ResponseError.
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
		remedy         string
		native         bool // an *azcore.ResponseError is reachable
	}{
		{"sign refused", &fault{op: "sign", status: 403, code: "Forbidden"}, func() error { _, err := k.Sign(ctx, []byte("m")); return err },
			"azurekv Sign " + v.srv.URL + "/keys/p256/" + id + ": permission denied: HTTP 403 Forbidden: ", "",
			"grant the identity the keys/get, keys/sign and keys/verify permissions (or the Key Vault Crypto User role)", true},
		{"missing key", nil, func() error { _, err := azurekv.OpenWithOptions(ctx, v.uri("no-such-key"), v.options()); return err },
			"azurekv GetKey " + v.srv.URL + "/keys/no-such-key: key not found: HTTP 404 KeyNotFound: ", "", "check vault=, name= and version=", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.fault != nil {
				v.inject(*tc.fault)
			}
			cloudkeytest.CheckOpError[*azcore.ResponseError](t, tc.call(), "azurekv", tc.prefix, tc.suffix, tc.remedy, tc.native)
		})
	}
}
