package gcpkms_test

import (
	"testing"

	"cloud.google.com/go/kms/apiv1/kmspb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tinywindow/tinywindow/internal/cloudkey/cloudkeytest"
	"github.com/tinywindow/tinywindow/provider"
)

// TestOpErrorShape pins the message of a failed Cloud KMS call: backend,
// RPC and key version first, then the kind and the gRPC status, the remedy
// left to the OpError's field; errors.As reaches the *provider.OpError and
// the gRPC status.
func TestOpErrorShape(t *testing.T) {
	d, stop := startDouble()
	defer stop()
	mk := d.addKey("mac", kmspb.CryptoKeyVersion_HMAC_SHA256)
	ec := d.addKey("ec", kmspb.CryptoKeyVersion_EC_SIGN_P256_SHA256)
	ctx := t.Context()
	open := func(key string) provider.Key {
		k, err := provider.Open(ctx, d.uri(key, "max-attempts=1"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { k.Close() })
		return k
	}
	mac, sig := open(mk), open(ec)
	closed := open(ec)
	closed.Close()
	for _, tc := range []struct {
		name   string
		fault  codes.Code // injected into every call; OK: none
		call   func() error
		want   string
		remedy string
		native bool // a gRPC status is reachable
	}{
		{"MacSign refused", codes.PermissionDenied, func() error { _, err := mac.Sign(ctx, []byte("m")); return err },
			"gcpkms MacSign " + mk + "/cryptoKeyVersions/1: permission denied: rpc error: code = PermissionDenied desc = injected by the test",
			"the Application Default Credentials lack cloudkms permissions on this key, or are invalid", true},
		{"MacVerify unavailable", codes.Unavailable, func() error { return mac.Verify(ctx, []byte("m"), make([]byte, 32)) },
			"gcpkms MacVerify " + mk + "/cryptoKeyVersions/1: backend unavailable: rpc error: code = Unavailable desc = injected by the test", "", true},
		{"AsymmetricSign not found", codes.NotFound, func() error { _, err := sig.Sign(ctx, []byte("m")); return err },
			"gcpkms AsymmetricSign " + ec + "/cryptoKeyVersions/1: key not found: rpc error: code = NotFound desc = injected by the test",
			"check key= and version=: no such key or version in that project, location and key ring", true},
		{"closed", codes.OK, func() error { _, err := closed.Sign(ctx, []byte("m")); return err },
			"gcpkms " + ec + "/cryptoKeyVersions/1: key is closed", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.fault != codes.OK {
				d.setFault(failWith(tc.fault))
				defer d.setFault(nil)
			}
			cloudkeytest.CheckOpError[interface {
				error
				GRPCStatus() *status.Status
			}](t, tc.call(), "gcpkms", tc.want, tc.want, tc.remedy, tc.native)
		})
	}
}
