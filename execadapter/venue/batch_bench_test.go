package venue

import (
	"context"
	"testing"
	"time"

	"github.com/tinywindow/tinywindow/providers/hmac"
)

// BenchmarkBatchSign signs a batch of 256 orders with an HMAC key (whose
// signature costs next to nothing) and checks each order against it: the
// cost of the tree, the proofs and the envelopes, per order.
func BenchmarkBatchSign(b *testing.B) {
	key := hmac.NewFromSeed(1)
	orders := canonicalOrders(b, "a", 256, time.Now())
	bs, err := NewBatchSigner(key)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.Run("sign", func(b *testing.B) {
		for b.Loop() {
			if _, err := bs.Sign(ctx, orders, 1); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(orders)), "ns/order")
	})
	sb, err := bs.Sign(ctx, orders, 1)
	if err != nil {
		b.Fatal(err)
	}
	var batch Batch
	if err := ParseBatch(sb.Body, &batch); err != nil {
		b.Fatal(err)
	}
	b.Run("check", func(b *testing.B) {
		var e Envelope
		buf := make([]byte, 0, 512)
		i := 0
		for b.Loop() {
			ParseEnvelope(sb.Envelopes[i%len(orders)], &e)
			if err := checkLeaf(&batch, &e, buf); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}
