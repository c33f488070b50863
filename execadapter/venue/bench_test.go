package venue

import (
	"context"
	"fmt"
	"net"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tinywindow/tinywindow/execadapter/order"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/hmac"
)

// BenchmarkServer measures an order's round trip through a TCP venue on
// loopback: "memory" is the baseline, "state" adds the duplicate window on
// disk (a write and an fsync before the ack; orders in flight together share
// one), "signed" adds the venue's signature on each ack. One order in flight
// pays a whole fsync; with 16 in flight the fsync is shared.
func BenchmarkServer(b *testing.B) {
	key := hmac.NewFromSeed(42)
	keys, _ := provider.NewKeyring(key)
	for _, inFlight := range []int{1, 16} {
		for _, mode := range []string{"memory", "state", "signed"} {
			b.Run(fmt.Sprintf("%s/in-flight=%d", mode, inFlight), func(b *testing.B) {
				var opts ServerOptions
				switch mode {
				case "state":
					opts.StateDir = b.TempDir()
				case "signed":
					opts.Signer = hmac.NewFromSeed(9)
				}
				sim, _ := NewSim(SimOptions{Keys: keys, MaxSkew: time.Hour})
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					b.Fatal(err)
				}
				srv, err := NewServer(ln, sim, opts)
				if err != nil {
					b.Fatal(err)
				}
				go srv.Serve()
				defer srv.Close()
				c, err := DialTCP(context.Background(), ln.Addr().String(), TCPOptions{})
				if err != nil {
					b.Fatal(err)
				}
				defer c.Close()
				var seq atomic.Uint64
				now := time.Now().UnixNano()
				send := func(s *Sealer) {
					id := fmt.Sprintf("b-%d", seq.Add(1))
					o := order.Order{ClientOrderID: id, Account: "ACC-1", Symbol: "AAPL", Side: order.Buy, Type: order.Market,
						Quantity: 1, TimeInForce: order.IOC, Timestamp: now}
					ob, _ := o.MarshalBinary()
					env, err := s.Seal(context.Background(), ob)
					if err != nil {
						b.Fatal(err)
					}
					ack, err := c.Submit(context.Background(), env, []byte(id))
					if err != nil || ack.Status != Accepted {
						b.Fatalf("%+v %v", ack, err)
					}
				}
				b.ResetTimer()
				if inFlight == 1 {
					s, _ := NewSealer(key)
					for b.Loop() {
						send(s)
					}
					return
				}
				b.SetParallelism((inFlight + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
				b.RunParallel(func(pb *testing.PB) {
					s, _ := NewSealer(key)
					for pb.Next() {
						send(s)
					}
				})
			})
		}
	}
}
