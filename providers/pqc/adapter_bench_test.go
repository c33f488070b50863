package pqc_test

import (
	"context"
	"testing"

	"github.com/tinywindow/tinywindow/execadapter/demo"
	"github.com/tinywindow/tinywindow/internal/adaptertest"
	"github.com/tinywindow/tinywindow/internal/latency"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/pqc"
)

// BenchmarkAdapterPaired runs the demo's order path (SendOrder, in-process
// venue, no audit log) with an ML-DSA-65 key (hedged, the default), order by
// order against a raw circl baseline of the same order bytes in the same
// run: "sign" is bare ML-DSA-65 signing; "sign+verify" adds the venue's
// verification, which an order also needs. ML-DSA signing repeats a
// rejection loop a random number of times (about 5 on average for ML-DSA-65,
// and a few percent of signatures take more than 15), so the baseline's own
// tail is wide; the ratio says whether the adapter adds one of its own.
//
//	go test -run '^$' -bench AdapterPaired -benchtime 5000x -count 5 ./providers/pqc/
func BenchmarkAdapterPaired(b *testing.B) {
	ctx := context.Background()
	alg := provider.MLDSA65
	k, raw, _ := benchKeys(b, alg, false)
	size, _ := pqc.SignatureSize(alg)
	sigBuf := make([]byte, size)
	for _, baseline := range []string{"sign", "sign+verify"} {
		b.Run("baseline="+baseline, func(b *testing.B) {
			a := adaptertest.New(b, k, k)
			b.ReportAllocs()
			b.ResetTimer()
			orders, base, err := demo.Paired(ctx, a, b.N, 1, func(o []byte) error {
				raw.sign(o, sigBuf, false)
				if baseline == "sign+verify" && !raw.verify(o, sigBuf) {
					b.Fatal("the raw signature does not verify")
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			latency.ReportCompare(b, "order", orders, "circl-"+baseline, base)
		})
	}
}
