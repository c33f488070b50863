package remote_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tinywindow/tinywindow/execadapter/order"
	"github.com/tinywindow/tinywindow/internal/latency"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/service"
)

// benchLimits are pre-trade limits with every rule on that a repeated order
// passes: all but the duplicate client order ID check.
const benchLimits = `max_quantity: 10000
max_notional: "1000000"
price_collar_bps: 500
reference_prices: {AAPL: "190", MSFT: "410"}
symbols: {allow: [AAPL, MSFT], deny: [GME]}
credit_limits: {default: "5000000", accounts: {ACC-SMALL: "20000"}}
throttle: {orders_per_second: 1000000000, burst: 1000000000}
`

// BenchmarkSignOrderChecksPaired measures a remote SignOrder on a key with
// pre-trade limits (the service checks the order, reserves and releases its
// credit, builds the version 3 envelope and signs it) call by call against
// a remote raw Sign of the bytes that envelope's signature covers, on two
// HMAC keys of one service, one caller, alternating the two in one loop,
// and reports each one's p50, p99 and p99.9 and their ratios.
func BenchmarkSignOrderChecksPaired(b *testing.B) {
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "limits.yaml")
	if err := os.WriteFile(path, []byte(benchLimits), 0o600); err != nil {
		b.Fatal(err)
	}
	f := startKeys(b, map[string]service.Key{
		"orders": {URI: "hmac:seed=42", Purpose: service.PurposeOrders, MaxSkew: time.Hour, Limits: path},
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
	if env[0] != 3 {
		b.Fatalf("envelope version %d; want 3, the limits hash bound", env[0])
	}
	// The bytes a raw key would sign for the same envelope: the order
	// domain and the envelope up to its signature (the limits hash
	// included).
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
