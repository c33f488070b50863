package awskms_test

import (
	"testing"

	"github.com/aws/smithy-go"

	"github.com/tinywindow/tinywindow/internal/cloudkey/cloudkeytest"
	"github.com/tinywindow/tinywindow/provider"
)

// TestOpErrorShape pins the message of a failed KMS call: backend,
// operation and key first, then the kind and the SDK's error, the remedy
// left to the OpError's field; errors.As reaches the *provider.OpError and
// the *smithy.OperationError.
func TestOpErrorShape(t *testing.T) {
	l := needKMS(t)
	ctx := t.Context()
	mac, err := provider.Open(ctx, l.URI("alias/tw-hmac-b"))
	if err != nil {
		t.Fatal(err)
	}
	closed, err := provider.Open(ctx, l.URI("alias/tw-hmac-b"))
	if err != nil {
		t.Fatal(err)
	}
	closed.Close()
	for _, tc := range []struct {
		name           string
		call           func() error
		prefix, suffix string
		remedy         string
		native         bool // an *smithy.OperationError is reachable
	}{
		{"open of a missing alias", func() error { _, err := provider.Open(ctx, l.URI("alias/tw-missing")); return err },
			"awskms DescribeKey alias/tw-missing: key not found: operation error KMS: DescribeKey, ",
			"", "check key-id, region and endpoint: the key or alias does not exist there", true},
		{"wrong tag", func() error { return mac.Verify(ctx, []byte("m"), make([]byte, 32)) },
			"awskms VerifyMac alias/tw-hmac-b: invalid signature: ", "", "", false},
		{"closed", func() error { _, err := closed.Sign(ctx, []byte("m")); return err },
			"awskms alias/tw-hmac-b: key is closed", "awskms alias/tw-hmac-b: key is closed", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cloudkeytest.CheckOpError[*smithy.OperationError](t, tc.call(), "awskms", tc.prefix, tc.suffix, tc.remedy, tc.native)
		})
	}
}
