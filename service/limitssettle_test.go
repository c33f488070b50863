package service

import (
	"testing"

	"github.com/tinywindow/tinywindow/execadapter/order"
	"github.com/tinywindow/tinywindow/execadapter/risk"
)

// TestSettle: an order that failed to sign gives its notional back, as do a
// signed IOC and FOK order; a signed DAY or GTC order keeps it reserved.
func TestSettle(t *testing.T) {
	tests := []struct {
		name   string
		tif    order.TimeInForce
		signed bool
		kept   bool
	}{
		{"DAY signed", order.Day, true, true},
		{"GTC signed", order.GTC, true, true},
		{"IOC signed", order.IOC, true, false},
		{"FOK signed", order.FOK, true, false},
		{"DAY not signed", order.Day, false, false},
		{"IOC not signed", order.IOC, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := risk.ParseConfig([]byte(`credit_limits: {default: "1000"}`))
			if err != nil {
				t.Fatal(err)
			}
			c, err := risk.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			l := &keyLimits{checker: c}
			o := order.Order{ClientOrderID: "c-1", Account: "ACC-1", Symbol: "AAPL", Side: order.Buy, Type: order.Limit,
				Quantity: 10, Price: order.Price{Mantissa: 5}, TimeInForce: tt.tif, Timestamp: 1}
			b, err := o.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			var v order.View
			if err := order.Parse(b, &v); err != nil {
				t.Fatal(err)
			}
			n, _, err := l.reserve("orders", &v, 1)
			if err != nil || n == 0 {
				t.Fatalf("reserve: %d, %v", n, err)
			}
			l.settle(&v, n, tt.signed)
			want := uint64(0)
			if tt.kept {
				want = n
			}
			if got := c.OpenNotional("ACC-1"); got != want {
				t.Errorf("open notional %d after settle; want %d", got, want)
			}
		})
	}
}
