package azurekv_test

import (
	"crypto"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azkeys"
	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
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

func newHist() *hdrhistogram.Histogram { return hdrhistogram.New(1, int64(10*time.Second), 3) }

func reportPercentiles(b *testing.B, h *hdrhistogram.Histogram, prefix string) {
	b.ReportMetric(float64(h.ValueAtQuantile(50)), prefix+"p50-ns")
	b.ReportMetric(float64(h.ValueAtQuantile(99)), prefix+"p99-ns")
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
		rawSign := func() {
			alg := bc.azAlg
			if _, err := raw.Sign(b.Context(), bc.key, version, azkeys.SignParameters{Algorithm: &alg, Value: hashMsg(bc.hash, msg)}, nil); err != nil {
				b.Fatal(err)
			}
		}
		ourSign := func() {
			if _, err := k.Sign(b.Context(), msg); err != nil {
				b.Fatal(err)
			}
		}
		rawSign() // the challenge round trip
		b.Run(bc.name+"/azurekv", func(b *testing.B) { timed(b, ourSign) })
		b.Run(bc.name+"/raw-azkeys", func(b *testing.B) { timed(b, rawSign) })
		b.Run(bc.name+"/overhead", func(b *testing.B) {
			ours, base := newHist(), newHist()
			for i := 0; b.Loop(); i++ {
				// Alternate which goes first, so neither gets a warmer connection.
				first, second, h1, h2 := ourSign, rawSign, ours, base
				if i%2 == 1 {
					first, second, h1, h2 = rawSign, ourSign, base, ours
				}
				t0 := time.Now()
				first()
				t1 := time.Now()
				second()
				t2 := time.Now()
				_ = h1.RecordValue(int64(t1.Sub(t0)))
				_ = h2.RecordValue(int64(t2.Sub(t1)))
			}
			reportPercentiles(b, ours, "azurekv-")
			reportPercentiles(b, base, "raw-")
			b.ReportMetric(float64(ours.ValueAtQuantile(50))/float64(base.ValueAtQuantile(50)), "p50-ratio")
			b.ReportMetric(float64(ours.ValueAtQuantile(99))/float64(base.ValueAtQuantile(99)), "p99-ratio")
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
				timed(b, func() {
					if err := k.Verify(b.Context(), msg, sig); err != nil {
						b.Fatal(err)
					}
				})
			})
		}
	}
}

// timed runs f in the benchmark loop and reports its latency percentiles.
func timed(b *testing.B, f func()) {
	h := newHist()
	b.ReportAllocs()
	for b.Loop() {
		t0 := time.Now()
		f()
		_ = h.RecordValue(int64(time.Since(t0)))
	}
	reportPercentiles(b, h, "")
}
