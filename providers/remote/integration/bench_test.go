package remote_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/tinywindow/tinywindow/internal/latency"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/remote"
)

// BenchmarkSign compares signing a 64-byte message with the same HMAC key
// in-process and through the service over loopback mTLS, and the raw gRPC
// echo of the same sizes over the same mTLS set-up (see
// BenchmarkRemotePaired), without a deadline and with one of the URI's
// default timeout (a timer on each side and a grpc-timeout header, as a call
// whose caller set a deadline carries), one caller at a time and with
// parallel callers (GOMAXPROCS×4 goroutines sharing one connection). Each
// reports its latency percentiles (latency.Report) besides ns/op and
// allocations.
func BenchmarkSign(b *testing.B) {
	ctx := context.Background()
	p := newPair(b)
	local, err := provider.Open(ctx, "hmac:seed=42")
	if err != nil {
		b.Fatal(err)
	}
	signWith := func(k provider.Key) func(context.Context, []byte) error {
		return func(ctx context.Context, msg []byte) error {
			_, err := k.Sign(ctx, msg)
			return err
		}
	}
	for _, tc := range []struct {
		name string
		call func(ctx context.Context, msg []byte) error
	}{
		{"in-process", signWith(local)},
		{"remote-mtls", signWith(p.key)},
		{"echo-mtls", func(ctx context.Context, _ []byte) error { return p.callEcho(ctx) }},
		// The echo with a deadline, as a Sign whose caller set one sends;
		// these Sign calls set none, and their timeout stays on the client.
		{"echo-mtls-deadline", func(ctx context.Context, _ []byte) error {
			ctx, cancel := context.WithTimeout(ctx, remote.DefaultTimeout)
			defer cancel()
			return p.callEcho(ctx)
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			msg := make([]byte, 64)
			b.ReportAllocs()
			latency.Measure(b, func() error { return tc.call(ctx, msg) })
		})
		b.Run(tc.name+"-parallel", func(b *testing.B) {
			var mu sync.Mutex
			all := latency.New(0)
			b.SetParallelism(4)
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				msg := make([]byte, 64)
				const most = 1 << 14
				lat := latency.New(most)
				for pb.Next() {
					t0 := time.Now()
					if err := tc.call(ctx, msg); err != nil {
						b.Error(err)
						return
					}
					if lat.Count() < most {
						lat.RecordValue(time.Since(t0).Nanoseconds())
					}
				}
				mu.Lock()
				all.Add(lat)
				mu.Unlock()
			})
			latency.Report(b, "", all)
		})
	}
}

// BenchmarkFleetSign compares one handle signing through one service with
// one handle balancing over three (round_robin with health checks), all in
// this process, one caller and GOMAXPROCS×4 parallel callers. On one machine
// three services add no CPU: the ratio is the cost of balancing.
func BenchmarkFleetSign(b *testing.B) {
	ctx := context.Background()
	fl := startFleet(b, 3, map[string]string{"orders": "hmac:seed=42"})
	one := &fleet{ca: fl.ca, trader: fl.trader, addrs: fl.addrs[:1]}
	for _, tc := range []struct {
		name string
		uri  string
	}{{"one-service", one.uri("orders")}, {"three-services", fl.uri("orders")}} {
		k, err := provider.Open(ctx, tc.uri)
		if err != nil {
			b.Fatal(err)
		}
		defer k.Close()
		b.Run(tc.name, func(b *testing.B) {
			msg := make([]byte, 64)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := k.Sign(ctx, msg); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(tc.name+"-parallel", func(b *testing.B) {
			b.SetParallelism(4)
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				msg := make([]byte, 64)
				for pb.Next() {
					if _, err := k.Sign(ctx, msg); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
