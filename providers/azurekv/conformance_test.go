package azurekv_test

import (
	"context"
	"strings"
	"testing"

	"github.com/tinywindow/tinywindow/conformance"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/azurekv"
)

// keyCases are the key types of the double and the algorithms they sign with.
var keyCases = []struct {
	name, key, alg string
	want           provider.Algorithm
}{
	{"ES256", "p256", "", provider.ECDSAP256SHA256},
	{"ES384", "p384", "", provider.ECDSAP384SHA384},
	{"PS256", "rsa2048", "alg=RSA-PSS-SHA256", provider.RSAPSSSHA256},
	{"RS256", "rsa2048", "alg=RSA-PKCS1-SHA256", provider.RSAPKCS1SHA256},
}

func TestConformance(t *testing.T) {
	v := startVault()
	defer v.Close()
	for _, kc := range keyCases {
		for _, verify := range []string{"verify=local", "verify=remote"} {
			t.Run(kc.name+"/"+verify, func(t *testing.T) {
				open := func(name string) func(ctx context.Context) (provider.Key, error) {
					return func(ctx context.Context) (provider.Key, error) {
						extra := []string{verify}
						if kc.alg != "" {
							extra = append(extra, kc.alg)
						}
						return azurekv.OpenWithOptions(ctx, v.uri(name, extra...), v.options())
					}
				}
				k, err := open(kc.key)(t.Context())
				if err != nil {
					t.Fatal(err)
				}
				if got := k.Info().Algorithm; got != kc.want {
					t.Fatalf("algorithm %s, want %s", got, kc.want)
				}
				k.Close()
				conformance.Test(t, conformance.Subject{
					Open:            open(kc.key),
					Other:           open(kc.key + "-other"),
					Goroutines:      16,
					OpsPerGoroutine: 4,
				})
			})
		}
	}
}

// TestIdentity checks what an audit report learns of a vault key: its key
// identifier with the version in use, the vault, the verify mode, and its
// provenance (TestIdentityProvenance has the details).
func TestIdentity(t *testing.T) {
	v := startVault()
	defer v.Close()
	for _, verify := range []string{"local", "remote"} {
		open := func(ctx context.Context) (provider.Key, error) {
			return azurekv.OpenWithOptions(ctx, v.uri("p256", "verify="+verify), v.options())
		}
		k, err := open(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		version := k.Info().Version
		k.Close()
		rep, err := conformance.Run(t.Context(), conformance.Subject{Open: open, Goroutines: 2, OpsPerGoroutine: 1})
		if err != nil {
			t.Fatal(err)
		}
		id := rep.BackendIdentity
		if rep.VerifyMode != verify || version == "" || !strings.HasSuffix(id["key-id"], "/keys/p256/"+version) ||
			!strings.HasPrefix(id["key-id"], id["vault"]) || rep.KeyVersion != version || rep.IdentityError != "" {
			t.Errorf("verify=%s: verify mode %q, identity %v, key version %q (%s)", verify, rep.VerifyMode, id, rep.KeyVersion, rep.IdentityError)
		}
		if p := rep.KeyProvenance; p.Origin != "" || p.Extractable != "" || p.Attributes["key-type"] != "EC" || p.Attributes["rotation"] != "disabled" {
			t.Errorf("verify=%s: key provenance %+v", verify, p)
		}
	}
}
