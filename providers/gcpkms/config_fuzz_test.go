package gcpkms

import (
	"strings"
	"testing"

	"github.com/tinywindow/tinywindow/internal/cloudkey/cloudkeytest"
)

// FuzzParseOptions feeds arbitrary key URIs to the URI checks, which must
// never panic and must refuse with ErrInvalidConfig only. A plaintext
// endpoint must never be accepted off loopback.
func FuzzParseOptions(f *testing.F) {
	cloudkeytest.FuzzOptions(f, []string{
		"gcpkms:key=projects/p/locations/europe-west2/keyRings/r/cryptoKeys/k",
		"gcpkms:key=projects/p/locations/global/keyRings/r/cryptoKeys/k;version=3?endpoint=http://127.0.0.1:9000&verify=remote",
		"gcpkms:key=projects/p/locations/l/keyRings/r/cryptoKeys/k?endpoint=https://kms.example.com&max-attempts=10&max-backoff=5ms&pubkey-ttl=0s",
		"gcpkms:key=projects/p/locations/l/keyRings/r/cryptoKeys/k?endpoint=http://[::1]:9000",
		"gcpkms:key=projects/p/locations/l/keyRings/r/cryptoKeys/k/cryptoKeyVersions/1",
	}, parseOptions, func(t *testing.T, s string, o *options) {
		if !keyPattern.MatchString(o.key) || o.MaxAttempts < 1 || o.MaxAttempts > 10 || o.version < 0 {
			t.Fatalf("parseOptions(%q) accepted %+v", s, o)
		}
		if o.plaintext && !strings.HasPrefix(o.endpoint, "127.") && !strings.HasPrefix(o.endpoint, "[::1]") && !strings.HasPrefix(o.endpoint, "localhost:") && !strings.HasPrefix(o.endpoint, "[0:0:0:0:0:0:0:1]") {
			t.Fatalf("parseOptions(%q) accepted plaintext endpoint %q", s, o.endpoint)
		}
	})
}
