package demo

import (
	"context"
	"net"
	"path/filepath"
	"testing"

	"github.com/tinywindow/tinywindow/execadapter/audit"
	"github.com/tinywindow/tinywindow/execadapter/venue"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/hmac"
)

func TestRun(t *testing.T) {
	key := hmac.NewFromSeed(42)
	for _, d := range []audit.Durability{audit.Batch, audit.Always} {
		t.Run(d.String(), func(t *testing.T) {
			n := 20000
			if d == audit.Always {
				n = 300
			}
			path := filepath.Join(t.TempDir(), "audit.log")
			res, err := Run(context.Background(), Options{Orders: n, Key: key, AuditPath: path, Durability: d})
			if err != nil {
				t.Fatal(err)
			}
			if !res.AuditVerified || res.Failed != 0 || res.Accepted+res.Rejected != n {
				t.Fatalf("result %+v", res)
			}
			if d == audit.Batch {
				for _, rule := range []string{"symbol_deny", "price_collar", "max_quantity", "max_notional", "duplicate_client_order_id", "credit_limit"} {
					if res.RiskRejected[rule] == 0 {
						t.Errorf("the mix never triggered %s: %v", rule, res.RiskRejected)
					}
				}
				if res.Rejected > n/10 || res.Rejected < n/100 {
					t.Errorf("%d of %d rejected", res.Rejected, n)
				}
			}
			if res.P50 <= 0 || res.P99 < res.P50 || res.P999 < res.P99 {
				t.Fatalf("percentiles %d %d %d", res.P50, res.P99, res.P999)
			}
		})
	}
}

func TestRunTCP(t *testing.T) {
	key := hmac.NewFromSeed(42)
	keys, _ := provider.NewKeyring(key)
	sim, _ := venue.NewSim(venue.SimOptions{Keys: keys})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := venue.NewServer(ln, sim, venue.ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve()
	defer srv.Close()
	res, err := Run(context.Background(), Options{Orders: 2000, Key: key, Venue: "tcp://" + ln.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	if !res.AuditVerified || res.Failed != 0 || res.Accepted < 1800 {
		t.Fatalf("result %+v", res)
	}
}

func TestMixDoesNotAllocate(t *testing.T) {
	m := NewMix(1, "x-")
	buf := make([]byte, 0, 256)
	if n := testing.AllocsPerRun(1000, func() { buf = m.Append(buf[:0], 1) }); n != 0 {
		t.Fatalf("Append allocates %v", n)
	}
}
