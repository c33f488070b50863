package gcpkms_test

import (
	"context"
	"os"
	"sync"
	"testing"

	"cloud.google.com/go/kms/apiv1/kmspb"

	"github.com/tinywindow/tinywindow/conformance"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/gcpkms"
)

// shared is the double most tests use, with two keys of every algorithm the
// conformance suite runs: the key "<name>-a" and another "<name>-b".
var shared struct {
	once sync.Once
	d    *kmsDouble
}

var sharedAlgs = []struct {
	name string
	kms  kmspb.CryptoKeyVersion_CryptoKeyVersionAlgorithm
	alg  provider.Algorithm
}{
	{"p256", kmspb.CryptoKeyVersion_EC_SIGN_P256_SHA256, provider.ECDSAP256SHA256},
	{"p384", kmspb.CryptoKeyVersion_EC_SIGN_P384_SHA384, provider.ECDSAP384SHA384},
	{"pss2048", kmspb.CryptoKeyVersion_RSA_SIGN_PSS_2048_SHA256, provider.RSAPSSSHA256},
	{"pkcs2048", kmspb.CryptoKeyVersion_RSA_SIGN_PKCS1_2048_SHA256, provider.RSAPKCS1SHA256},
	{"ed25519", kmspb.CryptoKeyVersion_EC_SIGN_ED25519, provider.Ed25519},
	{"hmac", kmspb.CryptoKeyVersion_HMAC_SHA256, provider.HMACSHA256},
	{"mldsa44", kmspb.CryptoKeyVersion_PQ_SIGN_ML_DSA_44, provider.MLDSA44},
	{"mldsa65", kmspb.CryptoKeyVersion_PQ_SIGN_ML_DSA_65, provider.MLDSA65},
	{"mldsa87", kmspb.CryptoKeyVersion_PQ_SIGN_ML_DSA_87, provider.MLDSA87},
}

func sharedDouble() *kmsDouble {
	shared.once.Do(func() {
		shared.d, _ = startDouble() // lives as long as the test binary
		for _, a := range sharedAlgs {
			shared.d.addKey(a.name+"-a", a.kms)
			shared.d.addKey(a.name+"-b", a.kms)
		}
	})
	return shared.d
}

func TestMain(m *testing.M) { os.Exit(m.Run()) }

// TestConformance runs the shared suite on every algorithm, through the
// real client library against the double. Asymmetric keys verify locally
// (Cloud KMS has no asymmetric Verify method); HMAC keys verify in the
// service (MacVerify), with verify=local and verify=remote alike. Messages
// sent as data are limited to 64 KiB, so the 1 MiB round trip is skipped
// for Ed25519, ML-DSA and HMAC.
func TestConformance(t *testing.T) {
	d := sharedDouble()
	for _, a := range sharedAlgs {
		verifies := []string{"verify=local"}
		if a.alg == provider.HMACSHA256 {
			verifies = append(verifies, "verify=remote")
		}
		for _, verify := range verifies {
			t.Run(a.name+"/"+verify, func(t *testing.T) {
				open := func(id string) func(ctx context.Context) (provider.Key, error) {
					return conformance.OpenURI(d.uri(testRing+"/cryptoKeys/"+id, verify))
				}
				k, err := open(a.name + "-a")(t.Context())
				if err != nil {
					t.Fatal(err)
				}
				if got := k.Info().Algorithm; got != a.alg {
					t.Fatalf("algorithm = %s, want %s", got, a.alg)
				}
				k.Close()
				max := 0
				if a.alg.Hash() == 0 || a.alg == provider.HMACSHA256 {
					max = gcpkms.DataLimit
				}
				conformance.Test(t, conformance.Subject{
					Open: open(a.name + "-a"), Other: open(a.name + "-b"),
					MaxMessage: max, Goroutines: 8, OpsPerGoroutine: 4,
				})
			})
		}
	}
	if n := d.missingCRC(); n != 0 {
		t.Errorf("%d requests reached the double without a CRC32C", n)
	}
}
