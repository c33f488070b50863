package venue

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tinywindow/tinywindow/execadapter/order"
	"github.com/tinywindow/tinywindow/internal/latency"
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
				sim, _ := NewSim(SimOptions{Keys: keys, MaxSkew: time.Hour, DedupWindow: 3 * time.Hour})
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

// BenchmarkTCPPaired measures a TCP venue's round trip (Submit of a sealed
// order to a Server with its window in memory, one order in flight) and, as
// its baseline in the same run, a raw loopback TCP echo of the same frame
// sizes (the order frame out, the ack frame back, one goroutine at each end).
// The venue's duplicate window is prefaulted (Sim.Prefault).
// The two alternate order by order, so that a noisy machine slows both
// alike; it reports each one's p50 and p99 and their ratios.
//
//	go test -run '^$' -bench TCPPaired -benchtime 20000x -count 5 ./execadapter/venue/
func BenchmarkTCPPaired(b *testing.B) {
	key := hmac.NewFromSeed(42)
	keys, _ := provider.NewKeyring(key)
	for _, signedAcks := range []bool{false, true} {
		name := "acks=plain"
		if signedAcks {
			name = "acks=signed"
		}
		b.Run(name, func(b *testing.B) {
			var opts ServerOptions
			if signedAcks {
				opts.Signer = hmac.NewFromSeed(9)
			}
			sim, _ := NewSim(SimOptions{Keys: keys, MaxSkew: time.Hour, DedupWindow: 3 * time.Hour})
			sim.Prefault()
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

			s, _ := NewSealer(key)
			now := time.Now().UnixNano()
			seal := func(i int) ([]byte, []byte) {
				id := fmt.Appendf(nil, "p-%d", i)
				o := order.Order{ClientOrderID: string(id), Account: "ACC-1", Symbol: "AAPL", Side: order.Buy, Type: order.Market,
					Quantity: 1, TimeInForce: order.IOC, Timestamp: now}
				ob, _ := o.MarshalBinary()
				env, err := s.Seal(context.Background(), ob)
				if err != nil {
					b.Fatal(err)
				}
				return bytes.Clone(env), id
			}
			// The echo's frames are as long as the venue's.
			env0, id0 := seal(0)
			ack0, err := c.Submit(context.Background(), env0, id0)
			if err != nil {
				b.Fatal(err)
			}
			out := AppendFrame(nil, FrameOrder, env0)
			ackLen := len(AppendAckFrame(nil, ack0, id0))
			if ack0.Signed != nil {
				ackLen = 5 + len(ack0.Signed)
			}
			echo := startEcho(b, len(out), ackLen)
			in := make([]byte, ackLen)

			venueLat, echoLat := latency.New(b.N), latency.New(b.N)
			i := 0
			for b.Loop() {
				i++
				env, id := seal(i)
				t0 := time.Now()
				if _, err := echo.Write(out); err != nil {
					b.Fatal(err)
				}
				if _, err := io.ReadFull(echo, in); err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				ack, err := c.Submit(context.Background(), env, id)
				t2 := time.Now()
				if err != nil || ack.Status != Accepted {
					b.Fatalf("%+v %v", ack, err)
				}
				echoLat.RecordValue(t1.Sub(t0).Nanoseconds())
				venueLat.RecordValue(t2.Sub(t1).Nanoseconds())
			}
			reportPaired(b, "venue", venueLat, "echo", echoLat)
		})
	}
}

// startEcho starts a loopback peer that answers every in bytes with out
// bytes, and returns the client's connection to it.
func startEcho(b *testing.B, in, out int) net.Conn {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ln.Close() })
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		rb, wb := make([]byte, in), make([]byte, out)
		for {
			if _, err := io.ReadFull(c, rb); err != nil {
				return
			}
			if _, err := c.Write(wb); err != nil {
				return
			}
		}
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	return c
}

// reportPaired reports the percentiles of a path and of its baseline
// measured in the same run, and their ratios.
func reportPaired(b *testing.B, name string, got *latency.Sample, baseName string, base *latency.Sample) {
	latency.ReportCompare(b, name, got, baseName, base)
}
