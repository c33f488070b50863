package azurekv_test

import (
	"crypto"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azkeys"
	"github.com/tinywindow/tinywindow/internal/latency"
	"github.com/tinywindow/tinywindow/providers/azurekv"
)

// benchCases are the key types measured, with Azure's algorithm for the raw
// azkeys baseline.
var benchCases = []struct {
	name, key, alg string
	azAlg          azkeys.SignatureAlgorithm
	hash           crypto.Hash
}{
	{"ES256", "p256", "", azkeys.SignatureAlgorithmES256, crypto.SHA256},
	{"ES384", "p384", "", azkeys.SignatureAlgorithmES384, crypto.SHA384},
	{"PS256", "rsa2048", "alg=RSA-PSS-SHA256", azkeys.SignatureAlgorithmPS256, crypto.SHA256},
	{"RS256", "rsa2048", "alg=RSA-PKCS1-SHA256", azkeys.SignatureAlgorithmRS256, crypto.SHA256},
}

func openBench(b *testing.B, v *vaultDouble, key string, extra ...string) *azurekv.Key {
	k, err := azurekv.OpenWithOptions(b.Context(), v.uri(key, extra...), v.options())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { k.Close() })
	return k
}

func extras(alg string, more ...string) []string {
	if alg != "" {
		more = append(more, alg)
	}
	return more
}

// BenchmarkSign measures Sign of a 64-byte message through azurekv and, in
// the same run against the same local vault, the raw azkeys call it wraps
// (hash the message, client.Sign); "overhead" interleaves the two, one call
// each per iteration, and reports the ratio of their percentiles.
func BenchmarkSign(b *testing.B) {
	v := startVault()
	defer v.Close()
	msg := make([]byte, 64)
	for _, bc := range benchCases {
		k := openBench(b, v, bc.key, extras(bc.alg)...)
		raw, err := azkeys.NewClient(v.srv.URL, v.cred, v.clientOptions())
		if err != nil {
			b.Fatal(err)
		}
		version := k.Info().Version
		rawSign := func() error {
			alg := bc.azAlg
			_, err := raw.Sign(b.Context(), bc.key, version, azkeys.SignParameters{Algorithm: &alg, Value: hashMsg(bc.hash, msg)}, nil)
			return err
		}
		ourSign := func() error {
			_, err := k.Sign(b.Context(), msg)
			return err
		}
		if err := rawSign(); err != nil { // the challenge round trip
			b.Fatal(err)
		}
		b.Run(bc.name+"/azurekv", func(b *testing.B) { timed(b, ourSign) })
		b.Run(bc.name+"/raw-azkeys", func(b *testing.B) { timed(b, rawSign) })
		b.Run(bc.name+"/overhead", func(b *testing.B) {
			latency.Interleave(b, "azurekv", ourSign, "raw", rawSign)
		})
	}
}

// BenchmarkVerify measures Verify of a 64-byte message with the cached public
// key (local) and with the vault's verify operation (remote).
func BenchmarkVerify(b *testing.B) {
	v := startVault()
	defer v.Close()
	msg := make([]byte, 64)
	for _, bc := range benchCases {
		for _, mode := range []string{"local", "remote"} {
			k := openBench(b, v, bc.key, extras(bc.alg, "verify="+mode)...)
			sig, err := k.Sign(b.Context(), msg)
			if err != nil {
				b.Fatal(err)
			}
			b.Run(bc.name+"/"+mode, func(b *testing.B) {
				timed(b, func() error { return k.Verify(b.Context(), msg, sig) })
			})
		}
	}
}

// timed runs op in the benchmark loop and reports its allocations and
// latency percentiles.
func timed(b *testing.B, op func() error) {
	b.ReportAllocs()
	latency.Measure(b, op)
}
