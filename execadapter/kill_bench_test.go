package execadapter_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tinywindow/tinywindow/execadapter"
	"github.com/tinywindow/tinywindow/execadapter/demo"
	"github.com/tinywindow/tinywindow/execadapter/killswitch"
	"github.com/tinywindow/tinywindow/execadapter/order"
	"github.com/tinywindow/tinywindow/execadapter/risk"
	"github.com/tinywindow/tinywindow/execadapter/venue"
	"github.com/tinywindow/tinywindow/internal/latency"
	"github.com/tinywindow/tinywindow/provider"
)

// BenchmarkOrderChecks measures what the kill switch adds to an order's
// checks before it is signed. Each iteration times a batch of 64 orders
// decoded and checked by the pre-trade checks of the demo's limits (the
// baseline, "risk") and a batch also passed through the kill switch
// ("risk+kill"), alternating which goes first, so that both meet the same
// load on a shared machine; it reports the percentiles of the time per
// order of each and their ratios. The kill switch has two kills of other
// scopes in force (kills=2), or none (kills=0).
func BenchmarkOrderChecks(b *testing.B) {
	o := order.Order{ClientOrderID: "c-1", Account: "ACC-1", Symbol: "AAPL", Side: order.Buy, Type: order.Limit,
		Quantity: 100, Price: order.Price{Mantissa: 19005, Exponent: -2}, TimeInForce: order.IOC, Timestamp: 1}
	ob, _ := o.MarshalBinary()
	cfg, _ := risk.ParseConfig([]byte(demo.DefaultLimits))
	checker, _ := risk.New(cfg)
	for _, kills := range []int{0, 2} {
		ks := killswitch.New(killswitch.Options{})
		for _, s := range []string{"account=ACC-7", "symbol=NVDA"}[:kills] {
			sc, _ := killswitch.ParseScope(s)
			ks.Kill(context.Background(), sc, "bench", "bench")
		}
		b.Run(fmt.Sprintf("kills=%d", kills), func(b *testing.B) {
			const batch = 64
			var v order.View
			check := func(withKill bool) int64 {
				t0 := time.Now()
				for range batch {
					if err := order.Parse(ob, &v); err != nil {
						b.Fatal(err)
					}
					var p killswitch.Pass
					if withKill {
						var k *killswitch.Kill
						if p, k = ks.Enter(v.Account, v.Symbol); k != nil {
							b.Fatal(k)
						}
					}
					if _, err := checker.Check(&v, 1); err != nil {
						b.Fatal(err)
					}
					if withKill {
						p.Leave()
					}
				}
				return int64(time.Since(t0)) / batch
			}
			with, base := latency.New(0), latency.New(0)
			for i := 0; b.Loop(); i++ {
				if i%2 == 0 {
					with.RecordValue(check(true))
					base.RecordValue(check(false))
				} else {
					base.RecordValue(check(false))
					with.RecordValue(check(true))
				}
			}
			latency.ReportCompare(b, "risk+kill", with, "risk", base)
		})
	}
}

// BenchmarkKillTakeEffect measures how long a kill takes to take effect
// (killswitch.Effect.Took: from the call until no order in scope can be
// signed, every order that passed the check before it signed or failed)
// while 0, 2 or 32 goroutines send orders of other accounts through the
// adapter (in-process venue, HMAC, no audit log: recording comes after
// the effect). Each iteration kills, then resumes with two identities.
// The run with no senders is the baseline.
func BenchmarkKillTakeEffect(b *testing.B) {
	for _, senders := range []int{0, 2, 32} {
		b.Run(fmt.Sprintf("senders=%d", senders), func(b *testing.B) {
			ctx := context.Background()
			key, _ := provider.Open(ctx, "hmac:seed=42")
			defer key.Close()
			keys, _ := provider.NewKeyring(key)
			sim, _ := venue.NewSim(venue.SimOptions{Keys: keys})
			a, err := execadapter.New(execadapter.Config{Signer: key, Venue: sim})
			if err != nil {
				b.Fatal(err)
			}
			var stop atomic.Bool
			var sent atomic.Int64
			var wg sync.WaitGroup
			for g := range senders {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; !stop.Load(); i++ {
						o := order.Order{ClientOrderID: fmt.Sprintf("g%d-%d", g, i), Account: "ACC-1", Symbol: "AAPL", Side: order.Buy, Type: order.Limit,
							Quantity: 100, Price: order.Price{Mantissa: 19005, Exponent: -2}, TimeInForce: order.IOC, Timestamp: time.Now().UnixNano()}
						ob, _ := o.MarshalBinary()
						if _, err := a.SendOrder(ctx, ob); err != nil {
							panic(err)
						}
						sent.Add(1)
					}
				}()
			}
			for sent.Load() < int64(10*senders) {
				time.Sleep(time.Millisecond)
			}
			sc, _ := killswitch.ParseScope("account=ACC-KILL")
			took := latency.New(b.N)
			var inFlight int64
			for b.Loop() {
				_, eff, err := a.Kill(ctx, sc, "desk", "bench")
				if err != nil {
					b.Fatal(err)
				}
				took.RecordValue(int64(eff.Took))
				inFlight += eff.InFlight
				a.Resume(ctx, sc, "ops-1", "bench")
				if _, err := a.Resume(ctx, sc, "ops-2", "bench"); err != nil {
					b.Fatal(err)
				}
			}
			stop.Store(true)
			wg.Wait()
			b.ReportMetric(float64(sent.Load())/float64(took.Count()), "orders/kill")
			latency.Report(b, "take-effect-", took)
			b.ReportMetric(float64(inFlight)/float64(took.Count()), "in-flight/kill")
		})
	}
}
