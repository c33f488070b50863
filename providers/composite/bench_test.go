package composite_test

import (
	"slices"
	"testing"
	"time"

	"github.com/tinywindow/tinywindow/providers/composite"
)

// benchPaired measures, in one loop, the composite key's operation and each
// component's own operation on the same 64-byte message representative, so
// that they share the machine's conditions. It reports p50 and p99 of each
// and the ratios the composite backend promises: sign against the slower
// component, verify against the sum of the two verifications.
func benchPaired(b *testing.B, uri string) {
	ctx := b.Context()
	k, err := openComposite(ctx, uri)
	if err != nil {
		b.Fatal(err)
	}
	defer k.Close()
	pq, trad := k.Components()
	msg := make([]byte, 64)
	mp := make([]byte, 0, 200) // what the components sign: M' of msg
	{
		lbl, _ := composite.Label(k.Info().Algorithm)
		mp = append(append(append(mp, "CompositeAlgorithmSignatures2025"...), lbl...), 0)
		mp = append(mp, make([]byte, 64)...) // a stand-in PH(M) of the right size
	}
	b.Run("sign", func(b *testing.B) {
		var comp, p, c []time.Duration
		for b.Loop() {
			t0 := time.Now()
			if _, err := k.Sign(ctx, msg); err != nil {
				b.Fatal(err)
			}
			t1 := time.Now()
			if _, err := pq.Sign(ctx, mp); err != nil {
				b.Fatal(err)
			}
			t2 := time.Now()
			if _, err := trad.Sign(ctx, mp); err != nil {
				b.Fatal(err)
			}
			t3 := time.Now()
			comp, p, c = append(comp, t1.Sub(t0)), append(p, t2.Sub(t1)), append(c, t3.Sub(t2))
		}
		report(b, "composite", comp)
		report(b, "mldsa", p)
		report(b, "classical", c)
		for _, q := range []float64{0.50, 0.99} {
			slower := max(pct(p, q), pct(c, q))
			b.ReportMetric(float64(pct(comp, q))/float64(slower), "ratio-p"+qname(q)+"-vs-slower")
		}
	})
	b.Run("verify", func(b *testing.B) {
		sig, err := k.Sign(ctx, msg)
		if err != nil {
			b.Fatal(err)
		}
		pqSig, err := pq.Sign(ctx, mp)
		if err != nil {
			b.Fatal(err)
		}
		tradSig, err := trad.Sign(ctx, mp)
		if err != nil {
			b.Fatal(err)
		}
		var comp, sum []time.Duration
		for b.Loop() {
			t0 := time.Now()
			if err := k.Verify(ctx, msg, sig); err != nil {
				b.Fatal(err)
			}
			t1 := time.Now()
			if err := pq.Verify(ctx, mp, pqSig); err != nil {
				b.Fatal(err)
			}
			if err := trad.Verify(ctx, mp, tradSig); err != nil {
				b.Fatal(err)
			}
			t2 := time.Now()
			comp, sum = append(comp, t1.Sub(t0)), append(sum, t2.Sub(t1))
		}
		report(b, "composite", comp)
		report(b, "sum", sum)
		for _, q := range []float64{0.50, 0.99} {
			b.ReportMetric(float64(pct(comp, q))/float64(pct(sum, q)), "ratio-p"+qname(q)+"-vs-sum")
		}
	})
}

func pct(d []time.Duration, q float64) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	return s[min(len(s)-1, int(q*float64(len(s))))]
}

func qname(q float64) string {
	if q == 0.5 {
		return "50"
	}
	return "99"
}

func report(b *testing.B, name string, d []time.Duration) {
	b.ReportMetric(float64(pct(d, 0.50).Microseconds()), name+"-p50-µs")
	b.ReportMetric(float64(pct(d, 0.99).Microseconds()), name+"-p99-µs")
}

// BenchmarkSoftware: MLDSA44-Ed25519-SHA512, both components in software.
func BenchmarkSoftware(b *testing.B) {
	benchPaired(b, softURI(b, composite.MLDSA44Ed25519SHA512, 41))
}

// BenchmarkSoftwareP256: MLDSA65-ECDSA-P256-SHA512, both in software.
func BenchmarkSoftwareP256(b *testing.B) {
	benchPaired(b, softURI(b, composite.MLDSA65ECDSAP256SHA512, 42))
}
