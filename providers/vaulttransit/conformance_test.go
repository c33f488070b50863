package vaulttransit_test

import (
	"context"
	"os"
	"sync"
	"testing"

	"github.com/tinywindow/tinywindow/conformance"
	"github.com/tinywindow/tinywindow/provider"
)

// shared is the double most tests use, with two keys of every type at
// mount transit: "<type>-a" and "<type>-b".
var shared struct {
	once sync.Once
	d    *vaultDouble
}

var sharedTypes = []string{"ecdsa-p256", "ecdsa-p384", "ed25519", "rsa-2048", "hmac"}

func sharedVault() *vaultDouble {
	shared.once.Do(func() {
		shared.d = startVault() // lives as long as the test binary
		for _, typ := range sharedTypes {
			shared.d.addKey("transit", typ+"-a", typ)
			shared.d.addKey("transit", typ+"-b", typ)
		}
	})
	return shared.d
}

func TestMain(m *testing.M) {
	os.Setenv("TW_TEST_VAULT_TOKEN", doubleToken)
	os.Exit(m.Run())
}

// TestConformance runs the shared suite on every key type, through the
// real client library against the double, with local and with remote
// verification (HMAC keys always verify in Vault); RSA keys run as RSA-PSS
// and as RSA PKCS #1 v1.5.
func TestConformance(t *testing.T) {
	d := sharedVault()
	for _, tc := range []struct {
		typ   string
		extra string
		alg   provider.Algorithm
	}{
		{"ecdsa-p256", "", provider.ECDSAP256SHA256},
		{"ecdsa-p384", "", provider.ECDSAP384SHA384},
		{"ed25519", "", provider.Ed25519},
		{"rsa-2048", "", provider.RSAPSSSHA256},
		{"rsa-2048", "signature-algorithm=pkcs1v15", provider.RSAPKCS1SHA256},
		{"hmac", "", provider.HMACSHA256},
	} {
		for _, verify := range []string{"verify=local", "verify=remote"} {
			attrs := []string{verify}
			if tc.extra != "" {
				attrs = append(attrs, tc.extra)
			}
			t.Run(string(tc.alg)+"/"+verify, func(t *testing.T) {
				open := func(key string) func(ctx context.Context) (provider.Key, error) {
					return conformance.OpenURI(d.uri(key, attrs...))
				}
				k, err := open(tc.typ + "-a")(t.Context())
				if err != nil {
					t.Fatal(err)
				}
				if got := k.Info().Algorithm; got != tc.alg {
					t.Fatalf("algorithm = %s, want %s", got, tc.alg)
				}
				k.Close()
				conformance.Test(t, conformance.Subject{
					Open: open(tc.typ + "-a"), Other: open(tc.typ + "-b"),
					Goroutines: 8, OpsPerGoroutine: 4,
				})
			})
		}
	}
}
