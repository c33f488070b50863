package remote_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tinywindow/tinywindow/execadapter/order"
	"github.com/tinywindow/tinywindow/execadapter/risk"
	"github.com/tinywindow/tinywindow/execadapter/venue"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/service"
)

// TestRemoteOrdersKeyWithLimits: a venue.Sealer of a remote key of purpose
// orders with limits gets the service's version 3 envelope, which carries
// the limits' hash and which a venue holding the key accepts; an order the
// limits refuse is not sealed, and the error names the rule.
func TestRemoteOrdersKeyWithLimits(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "limits.yaml")
	if err := os.WriteFile(path, []byte("max_quantity: 100\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := risk.LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	hash, err := cfg.Hash()
	if err != nil {
		t.Fatal(err)
	}
	f := startKeys(t, map[string]service.Key{
		"orders": {URI: "hmac:seed=42", Purpose: service.PurposeOrders, MaxSkew: time.Hour, Limits: path},
	})
	k, err := provider.Open(ctx, f.uri("orders", f.trader))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { k.Close() })
	sl, err := venue.NewSealer(k)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := provider.NewKeyring(k)
	if err != nil {
		t.Fatal(err)
	}
	sim, err := venue.NewSim(venue.SimOptions{Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		qty  int64
		rule risk.Rule // "" when signed
	}{
		{"within limits", 100, ""},
		{"over max quantity", 101, risk.RuleMaxQuantity},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := order.Order{ClientOrderID: "c-" + tt.name, Account: "ACC-1", Symbol: "AAPL", Side: order.Buy, Type: order.Market,
				Quantity: tt.qty, TimeInForce: order.IOC, Timestamp: time.Now().UnixNano() + int64(i)}
			ord, err := o.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			env, err := sl.Seal(ctx, ord)
			if tt.rule != "" {
				if err == nil || !strings.Contains(err.Error(), string(tt.rule)) {
					t.Fatalf("Seal: %x, %v; want refused naming %s", env, err, tt.rule)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var e venue.Envelope
			if err := venue.ParseEnvelope(env, &e); err != nil || e.Version != venue.LimitsEnvelopeVersion || string(e.Limits) != string(hash[:]) {
				t.Fatalf("envelope version %d, limits %x, %v; want %d, %x", e.Version, e.Limits, err, venue.LimitsEnvelopeVersion, hash)
			}
			if ack, err := sim.Submit(ctx, env, nil); err != nil || ack.Status != venue.Accepted {
				t.Fatalf("venue: %+v, %v; want accepted", ack, err)
			}
		})
	}
}
