package awskms

import (
	"testing"

	"github.com/tinywindow/tinywindow/internal/cloudkey/cloudkeytest"
)

// FuzzParseOptions feeds arbitrary key URIs to the URI checks, which must
// never panic and must refuse with ErrInvalidConfig only. (It does not open
// keys: a valid URI without an endpoint would call AWS.)
func FuzzParseOptions(f *testing.F) {
	cloudkeytest.FuzzOptions(f, []string{
		"awskms:key-id=alias/orders;region=eu-west-2",
		"awskms:key-id=arn:aws:kms:eu-west-2:111122223333:key/1234;profile=p?endpoint=http://127.0.0.1:4599&verify=remote",
		"awskms:key-id=k;region=us-gov-west-1?max-attempts=10&max-backoff=5ms&pubkey-ttl=0s&external-mu=false",
		"awskms:region=mars-1",
		"awskms:key-id=arn:aws:kms:x",
	}, parseOptions, func(t *testing.T, s string, o *options) {
		if o.keyID == "" || o.MaxAttempts < 1 || o.MaxAttempts > 10 || o.region != "" && !regionPattern.MatchString(o.region) {
			t.Fatalf("parseOptions(%q) accepted %+v", s, o)
		}
	})
}
