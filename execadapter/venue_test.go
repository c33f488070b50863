package execadapter

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tinywindow/tinywindow/execadapter/audit"
	"github.com/tinywindow/tinywindow/execadapter/order"
	"github.com/tinywindow/tinywindow/execadapter/risk"
	"github.com/tinywindow/tinywindow/execadapter/venue"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/hmac"
)

// venueFunc is a third-party venue whose answer each test scripts.
type venueFunc func(ctx context.Context, env, id []byte) (Ack, error)

func (f venueFunc) Submit(ctx context.Context, env, id []byte) (Ack, error) { return f(ctx, env, id) }
func (f venueFunc) Close() error                                            { return nil }

// tcpVenue serves f.sim over TCP with opts and returns a client for it.
func (f *fixture) tcpVenue(t *testing.T, opts venue.ServerOptions) venue.Venue {
	return serveTCP(t, f.sim, opts)
}

// serveTCP serves sim over TCP with opts until tb ends and returns a client
// for it.
func serveTCP(tb testing.TB, sim *venue.Sim, opts venue.ServerOptions) *venue.TCP {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	srv, err := venue.NewServer(ln, sim, opts)
	if err != nil {
		tb.Fatal(err)
	}
	go srv.Serve()
	tb.Cleanup(func() { srv.Close() })
	return dialTCP(tb, ln.Addr().String())
}

func (f *fixture) dial(t *testing.T, addr string) venue.Venue { return dialTCP(t, addr) }

// dialTCP returns a client of the TCP venue at addr, closed when tb ends.
func dialTCP(tb testing.TB, addr string) *venue.TCP {
	tb.Helper()
	c, err := venue.DialTCP(context.Background(), addr, venue.TCPOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

// garbageVenue answers every order with bytes that are no frame.
func garbageVenue(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				venue.NewFrameReader(conn).Next()
				conn.Write([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"))
				conn.Read(make([]byte, 1))
			}()
		}
	}()
	return ln.Addr().String()
}

// withVenue rebuilds f's adapter around v, with the venue's verifier vv.
func (f *fixture) withVenue(t *testing.T, v venue.Venue, vv provider.Verifier) {
	t.Helper()
	a, err := New(Config{Signer: f.key, Venue: v, Risk: f.a.cfg.Risk, Audit: f.log, VenueVerifier: vv, Now: f.a.cfg.Now})
	if err != nil {
		t.Fatal(err)
	}
	f.a = a
}

func TestSendOrderVenueAnswers(t *testing.T) {
	venueKey := hmac.NewFromSeed(9)
	answer := func(a Ack, err error) func(*testing.T, *fixture) (venue.Venue, provider.Verifier) {
		return func(*testing.T, *fixture) (venue.Venue, provider.Verifier) {
			return venueFunc(func(context.Context, []byte, []byte) (Ack, error) { return a, err }), nil
		}
	}
	tests := []struct {
		name     string
		venue    func(*testing.T, *fixture) (venue.Venue, provider.Verifier)
		kind     error
		delivery venue.Delivery
		released bool // the order's notional is released
	}{
		{"ack with an unknown status", answer(Ack{Status: 9, VenueOrderID: 1}, nil), ErrVenueProtocol, venue.Unknown, false},
		{"accepted without venue order ID", answer(Ack{Status: venue.Accepted}, nil), ErrVenueProtocol, venue.Unknown, false},
		{"accepted with a reason", answer(Ack{Status: venue.Accepted, VenueOrderID: 1, Reason: venue.ReasonStale}, nil), ErrVenueProtocol, venue.Unknown, false},
		{"a bare error", answer(Ack{}, errors.New("connection reset")), ErrVenueUnreachable, venue.Unknown, false},
		{"not sent", answer(Ack{}, &venue.DeliveryError{Delivery: venue.NotSent, Err: venue.ErrUnreachable}), ErrVenueUnreachable, venue.NotSent, true},
		{"TCP venue, deadline passed before the write", func(t *testing.T, f *fixture) (venue.Venue, provider.Verifier) {
			tcp := f.tcpVenue(t, venue.ServerOptions{})
			return venueFunc(func(ctx context.Context, env, id []byte) (Ack, error) {
				ctx, cancel := context.WithDeadline(ctx, time.Now().Add(-time.Second))
				defer cancel()
				return tcp.Submit(ctx, env, id)
			}), nil
		}, ErrTimeout, venue.NotSent, true},
		{"TCP venue answering garbage", func(t *testing.T, f *fixture) (venue.Venue, provider.Verifier) {
			return f.dial(t, garbageVenue(t)), nil
		}, ErrVenueProtocol, venue.Unknown, false},
		{"unsigned ack, verifier configured", func(t *testing.T, f *fixture) (venue.Venue, provider.Verifier) {
			return f.tcpVenue(t, venue.ServerOptions{}), venueKey
		}, ErrVenueProtocol, venue.Unknown, false},
		{"ack signed by another key", func(t *testing.T, f *fixture) (venue.Venue, provider.Verifier) {
			return f.tcpVenue(t, venue.ServerOptions{Signer: hmac.NewFromSeed(10)}), venueKey
		}, ErrVenueProtocol, venue.Unknown, false},
		{"signed ack for another order", func(t *testing.T, f *fixture) (venue.Venue, provider.Verifier) {
			tcp := f.tcpVenue(t, venue.ServerOptions{Signer: venueKey})
			return venueFunc(func(ctx context.Context, env, id []byte) (Ack, error) {
				other := bytes.Clone(env)
				other[len(other)-1] ^= 1 // the venue answers (rejects) an altered order
				return tcp.Submit(ctx, other, id)
			}), venueKey
		}, ErrVenueProtocol, venue.Unknown, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, options{})
			v, vv := tc.venue(t, f)
			f.withVenue(t, v, vv)
			_, err := f.a.SendOrder(context.Background(), f.order(t, "c-1", nil))
			var e *Error
			if !errors.As(err, &e) || e.Kind != tc.kind || e.Delivery != tc.delivery {
				t.Fatalf("got %v; want %v with delivery %v", err, tc.kind, tc.delivery)
			}
			if tc.kind == ErrVenueProtocol && !errors.Is(err, venue.ErrProtocol) {
				t.Fatalf("%v does not match venue.ErrProtocol", err)
			}
			if MayHaveReachedVenue(err) != (tc.delivery != venue.NotSent) {
				t.Fatalf("MayHaveReachedVenue wrong for %v", err)
			}
			if open := f.a.Risk().OpenNotional("ACC-1"); (open == 0) != tc.released {
				t.Fatalf("open notional %d after %v", open, err)
			}
			rep := f.verifyAudit(t)
			if rep.ByType[audit.TypeSendError] != 1 {
				t.Fatalf("failure not audited: %+v", rep.ByType)
			}
		})
	}
}

func TestSendOrderSignedAck(t *testing.T) {
	venueKey := hmac.NewFromSeed(9)
	f := newFixture(t, options{})
	f.withVenue(t, f.tcpVenue(t, venue.ServerOptions{Signer: venueKey}), venueKey)
	ctx := context.Background()
	ack, err := f.a.SendOrder(ctx, f.order(t, "c-1", nil))
	if err != nil || ack.Signed == nil {
		t.Fatalf("got %+v %v; want a signed ack", ack, err)
	}
	_, err = f.a.SendOrder(ctx, f.order(t, "c-2", func(o *order.Order) { o.Symbol = "XYZ" }))
	var e *Error
	if !errors.As(err, &e) || e.Kind != ErrRiskRejected {
		t.Fatalf("got %v", err)
	}
	// A venue rejection is signed too.
	f.sim.Close()
	f.withVenue(t, f.tcpVenue(t, venue.ServerOptions{Signer: venueKey}), venueKey)
	_, err = f.a.SendOrder(ctx, f.order(t, "c-3", func(o *order.Order) { o.Timestamp -= 3600e9 }))
	if !errors.As(err, &e) || e.Kind != ErrVenueRejected || e.Ack.Signed == nil {
		t.Fatalf("got %v; want a signed venue rejection", err)
	}
	f.verifyAudit(t)
	// The audit log keeps each signed ack as the venue sent it.
	log, err := os.ReadFile(f.path)
	if err != nil {
		t.Fatal(err)
	}
	for _, signed := range [][]byte{ack.Signed, e.Ack.Signed} {
		if !bytes.Contains(log, signed) {
			t.Fatal("the audit log does not hold the signed ack")
		}
	}
}

func TestSendOrderAuditErrorsSurface(t *testing.T) {
	closeLog := func(f *fixture) { f.log.Close() }
	tests := []struct {
		name     string
		before   func(*fixture)                                                     // runs before SendOrder
		during   func(f *fixture, ctx context.Context, env, id []byte) (Ack, error) // the venue, if set
		edit     func(*order.Order)
		signer   provider.Signer
		delivery venue.Delivery
		says     string
	}{
		{"invalid order", closeLog, nil, nil, nil, venue.NotSent, "invalid order"},
		{"risk rejection", closeLog, nil, func(o *order.Order) { o.Symbol = "GME" }, nil, venue.NotSent, "symbol_deny"},
		{"signing failure", closeLog, nil, nil, closedKey(), venue.NotSent, "signing failed"},
		{"venue rejection", nil, func(f *fixture, ctx context.Context, env, id []byte) (Ack, error) {
			f.log.Close()
			return Ack{Status: venue.Rejected, Reason: venue.ReasonStale, VenueTime: 1}, nil
		}, nil, nil, venue.Delivered, "stale timestamp"},
		{"send failure", nil, func(f *fixture, ctx context.Context, env, id []byte) (Ack, error) {
			f.log.Close()
			return Ack{}, &venue.DeliveryError{Delivery: venue.Unknown, Err: venue.ErrTimeout}
		}, nil, nil, venue.Unknown, "timed out"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, options{})
			var v venue.Venue = f.sim
			if tc.during != nil {
				v = venueFunc(func(ctx context.Context, env, id []byte) (Ack, error) { return tc.during(f, ctx, env, id) })
			}
			a, err := New(Config{Signer: f.key, Venue: v, Risk: f.a.cfg.Risk, Audit: f.log, Now: f.a.cfg.Now})
			if tc.signer != nil {
				a, err = New(Config{Signer: tc.signer, Venue: v, Risk: f.a.cfg.Risk, Audit: f.log, Now: f.a.cfg.Now})
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.before != nil {
				tc.before(f)
			}
			b := f.order(t, "c-1", tc.edit)
			if tc.name == "invalid order" {
				b = b[:10]
			}
			_, err = a.SendOrder(context.Background(), b)
			var e *Error
			if !errors.As(err, &e) || e.Kind != ErrAudit || e.Delivery != tc.delivery {
				t.Fatalf("got %v; want ErrAudit with delivery %v", err, tc.delivery)
			}
			if !errors.Is(err, audit.ErrClosed) || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("%q does not name what went unrecorded (%q) and why", err, tc.says)
			}
			if (tc.name == "risk rejection") != (e.Rule == risk.RuleSymbolDeny) || (tc.name == "venue rejection") != (e.Reason == venue.ReasonStale) {
				t.Fatalf("rule %q, reason %v not kept", e.Rule, e.Reason)
			}
		})
	}
}

func closedKey() provider.Signer {
	k := hmac.NewFromSeed(42)
	k.Close()
	return k
}
