package execadapter_test

import (
	"context"
	"io"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tinywindow/tinywindow/execadapter"
	"github.com/tinywindow/tinywindow/execadapter/audit"
	"github.com/tinywindow/tinywindow/execadapter/demo"
	"github.com/tinywindow/tinywindow/execadapter/risk"
	"github.com/tinywindow/tinywindow/execadapter/venue"
	"github.com/tinywindow/tinywindow/internal/latency"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/hmac"
)

type benchSetup struct {
	a    *execadapter.Adapter
	key  provider.Key
	keys *provider.Keyring
}

func setup(b *testing.B, venueKind string) *benchSetup {
	b.Helper()
	ctx := context.Background()
	venueKind, noAudit := strings.CutSuffix(venueKind, "-noaudit")
	key, err := provider.Open(ctx, "hmac:seed=42")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { key.Close() })
	keys, _ := provider.NewKeyring(key)
	sim, _ := venue.NewSim(venue.SimOptions{Keys: keys})
	var v venue.Venue = sim
	if venueKind == "tcp" {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		srv, err := venue.NewServer(ln, sim, venue.ServerOptions{})
		if err != nil {
			b.Fatal(err)
		}
		go srv.Serve()
		b.Cleanup(func() { srv.Close() })
		c, err := venue.DialTCP(ctx, ln.Addr().String(), venue.TCPOptions{})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { c.Close() })
		v = c
	}
	cfg, _ := risk.ParseConfig([]byte(demo.DefaultLimits))
	checker, _ := risk.New(cfg)
	c := execadapter.Config{Signer: key, Venue: v, Risk: checker}
	if !noAudit {
		log, _, err := audit.Open(filepath.Join(b.TempDir(), "audit.log"), audit.Options{Signer: hmac.NewFromSeed(4242), Durability: audit.Batch})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { log.Close() })
		c.Audit = log
	}
	a, err := execadapter.New(c)
	if err != nil {
		b.Fatal(err)
	}
	return &benchSetup{a: a, key: key, keys: keys}
}

// BenchmarkSendOrder measures SendOrder end to end (decode, pre-trade checks,
// HMAC signing, batch audit records, venue verification and ack) on the
// demo's order mix, one goroutine. The Baseline benchmarks below give the
// raw cost of the parts in the same run.
func BenchmarkSendOrder(b *testing.B) {
	for _, kind := range []string{"sim", "tcp", "sim-noaudit"} {
		name := "hmac-" + kind + "-batch"
		if kind == "sim-noaudit" {
			name = "hmac-sim-noaudit" // the baseline of the audit log's cost
		}
		b.Run(name, func(b *testing.B) {
			s := setup(b, kind)
			mix := demo.NewMix(1, "b-")
			buf := make([]byte, 0, 256)
			h := latency.New(0)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				buf = mix.Append(buf[:0], time.Now().UnixNano())
				t0 := time.Now()
				s.a.SendOrder(ctx, buf)
				h.RecordValue(time.Since(t0).Nanoseconds())
			}
			latency.Report(b, "", h)
		})
	}
}

// BenchmarkBaseline gives the raw costs SendOrder is made of: generating an
// order, signing it with HMAC (SignAppend), and a venue's verification.
func BenchmarkBaseline(b *testing.B) {
	key, _ := provider.Open(context.Background(), "hmac:seed=42")
	defer key.Close()
	mix := demo.NewMix(1, "b-")
	buf := make([]byte, 0, 256)
	b.Run("mix", func(b *testing.B) {
		for b.Loop() {
			buf = mix.Append(buf[:0], 1)
		}
	})
	order := mix.Append(nil, time.Now().UnixNano())
	sig := make([]byte, 0, 64)
	b.Run("hmac-sign", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sig, _ = provider.SignAppend(context.Background(), key, sig[:0], order)
		}
	})
	b.Run("hmac-verify", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			key.Verify(context.Background(), order, sig)
		}
	})
	// The floor of a TCP venue: a raw loopback round trip of one small frame
	// to an echo goroutine, with the same percentiles.
	b.Run("tcp-echo", func(b *testing.B) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		defer ln.Close()
		go func() {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
			buf := make([]byte, 200)
			for {
				if _, err := io.ReadFull(c, buf); err != nil {
					return
				}
				if _, err := c.Write(buf[:30]); err != nil {
					return
				}
			}
		}()
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		out, in := make([]byte, 200), make([]byte, 30)
		h := latency.New(0)
		for b.Loop() {
			t0 := time.Now()
			c.Write(out)
			io.ReadFull(c, in)
			h.RecordValue(time.Since(t0).Nanoseconds())
		}
		latency.Report(b, "", h)
	})
	b.Run("time.Now", func(b *testing.B) {
		for b.Loop() {
			_ = time.Now()
		}
	})
}

// BenchmarkOrderPaired measures SendOrder without an audit log on the in-process
// venue, order by order against its baseline in the same run: the raw HMAC
// sign and verify of the same order bytes. The ratio is the cost of
// decoding, the pre-trade checks, the envelope and the venue's checks.
// "fresh" leaves the duplicate windows' pages to be mapped by page faults
// during the run; "prefaulted" maps them first (Prefault), as the demo does.
//
//	go test -run '^$' -bench OrderPaired -benchtime 100000x -count 5 ./execadapter/
func BenchmarkOrderPaired(b *testing.B) {
	b.Run("windows=fresh", func(b *testing.B) { benchPaired(b, false) })
	b.Run("windows=prefaulted", func(b *testing.B) { benchPaired(b, true) })
}

func benchPaired(b *testing.B, prefault bool) {
	ctx := context.Background()
	key, err := provider.Open(ctx, "hmac:seed=42")
	if err != nil {
		b.Fatal(err)
	}
	defer key.Close()
	keys, _ := provider.NewKeyring(key)
	sim, _ := venue.NewSim(venue.SimOptions{Keys: keys})
	cfg, _ := risk.ParseConfig([]byte(demo.DefaultLimits))
	checker, _ := risk.New(cfg)
	if prefault {
		sim.Prefault()
		checker.Prefault()
	}
	a, err := execadapter.New(execadapter.Config{Signer: key, Venue: sim, Risk: checker})
	if err != nil {
		b.Fatal(err)
	}
	sig := make([]byte, 0, 64)
	b.ReportAllocs()
	b.ResetTimer()
	f0, haveFaults := minorFaults()
	orders, base, err := demo.Paired(ctx, a, b.N, 1, func(o []byte) error {
		var err error
		if sig, err = provider.SignAppend(ctx, key, sig[:0], o); err != nil {
			return err
		}
		return key.Verify(ctx, o, sig)
	})
	if err != nil {
		b.Fatal(err)
	}
	if f1, _ := minorFaults(); haveFaults {
		b.ReportMetric(float64(f1-f0)/float64(b.N), "page-faults/op")
	}
	latency.ReportCompare(b, "order", orders, "sign+verify", base)
}
