package remote_test

import (
	"context"
	"testing"
	"time"

	"github.com/tinywindow/tinywindow/execadapter/order"
	"github.com/tinywindow/tinywindow/internal/latency"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/service"
)

// BenchmarkSignOrderPaired measures a remote SignOrder (the service checks
// the order, builds the envelope and signs it) call by call against a
// remote raw Sign of the bytes that envelope's signature covers, on two
// HMAC keys of one service, one caller, alternating the two in one loop,
// and reports each one's p50, p99 and p99.9 and their ratios.
func BenchmarkSignOrderPaired(b *testing.B) {
	ctx := context.Background()
	f := startKeys(b, map[string]service.Key{
		"orders": {URI: "hmac:seed=42", Purpose: service.PurposeOrders, MaxSkew: time.Hour},
		"raw":    {URI: "hmac:seed=43"},
	})
	open := func(name string) provider.Key {
		k, err := provider.Open(ctx, f.uri(name, f.trader))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { k.Close() })
		return k
	}
	ok, raw := open("orders"), open("raw")
	o := order.Order{ClientOrderID: "c-1", Account: "ACC-1", Symbol: "AAPL", Side: order.Buy, Type: order.Market,
		Quantity: 10, TimeInForce: order.IOC, Timestamp: time.Now().UnixNano()}
	ord, err := o.MarshalBinary()
	if err != nil {
		b.Fatal(err)
	}
	so := ok.(interface {
		SignOrder(context.Context, []byte) ([]byte, error)
	})
	env, err := so.SignOrder(ctx, ord)
	if err != nil {
		b.Fatal(err)
	}
	// The bytes a raw key would sign for the same envelope: the order
	// domain and the envelope up to its signature.
	msg := append([]byte("TinyWindow signed order v1\x00"), env[:len(env)-4-32]...)
	for range 100 {
		if _, err := so.SignOrder(ctx, ord); err != nil {
			b.Fatal(err)
		}
		if _, err := raw.Sign(ctx, msg); err != nil {
			b.Fatal(err)
		}
	}
	latency.Interleave(b,
		"signorder", func() error { _, err := so.SignOrder(ctx, ord); return err },
		"sign", func() error { _, err := raw.Sign(ctx, msg); return err })
}
