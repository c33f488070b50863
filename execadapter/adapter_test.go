package execadapter

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/tinywindow/tinywindow/execadapter/audit"
	"github.com/tinywindow/tinywindow/execadapter/order"
	"github.com/tinywindow/tinywindow/execadapter/risk"
	"github.com/tinywindow/tinywindow/execadapter/venue"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/hmac"
)

type fixture struct {
	a    *Adapter
	key  provider.Key
	keys *provider.Keyring
	// ck signs the audit log's checkpoints, a key of its own; ckKeys
	// verifies them.
	ck     provider.Key
	ckKeys *provider.Keyring
	sim    *venue.Sim
	log    *audit.Writer
	path   string
	clock  time.Time
}

type options struct {
	signer   provider.Signer
	venueKey provider.Verifier
	noRisk   bool
	audit    audit.Options
	path     string // of the audit log (default: in a new temporary directory)
	trails   []audit.Trail
}

func newFixture(t testing.TB, o options) *fixture {
	t.Helper()
	ctx := context.Background()
	key, err := provider.Open(ctx, "hmac:seed=42")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { key.Close() })
	keys, _ := provider.NewKeyring(key)
	venueKeys := keys
	if o.venueKey != nil {
		venueKeys, _ = provider.NewKeyring(o.venueKey.(provider.Signer))
	}
	ck := hmac.NewFromSeed(4242)
	ckKeys, _ := provider.NewKeyring(ck)
	f := &fixture{key: key, keys: keys, ck: ck, ckKeys: ckKeys, clock: time.Now()}
	f.sim, err = venue.NewSim(venue.SimOptions{Keys: venueKeys, Now: func() time.Time { return f.clock }})
	if err != nil {
		t.Fatal(err)
	}
	var checker *risk.Checker
	if !o.noRisk {
		cfg, err := risk.LoadConfig("testdata/limits.yaml")
		if err != nil {
			t.Fatal(err)
		}
		checker, _ = risk.New(cfg)
	}
	f.path = o.path
	if f.path == "" {
		f.path = filepath.Join(t.TempDir(), "audit.log")
	}
	opts := o.audit
	opts.Signer = ck
	f.log, _, err = audit.Open(f.path, opts)
	if err != nil {
		t.Fatal(err)
	}
	signer := o.signer
	if signer == nil {
		signer = key
	}
	f.a, err = New(Config{Signer: signer, Venue: f.sim, Risk: checker, Audit: f.log, Trails: o.trails, Now: func() time.Time { return f.clock }})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) order(t testing.TB, id string, edit func(*order.Order)) []byte {
	o := order.Order{ClientOrderID: id, Account: "ACC-1", Symbol: "AAPL", Side: order.Buy, Type: order.Limit,
		Quantity: 100, Price: order.Price{Mantissa: 19005, Exponent: -2}, TimeInForce: order.IOC, Timestamp: f.clock.UnixNano()}
	if edit != nil {
		edit(&o)
	}
	b, err := o.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (f *fixture) verifyAudit(t testing.TB) *audit.Report {
	t.Helper()
	if err := f.log.Close(); err != nil {
		t.Fatal(err)
	}
	rep, err := audit.VerifyFile(context.Background(), f.path, f.ckKeys)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestSendOrderAccepted(t *testing.T) {
	f := newFixture(t, options{})
	ack, err := f.a.SendOrder(context.Background(), f.order(t, "c-1", nil))
	if err != nil {
		t.Fatal(err)
	}
	if ack.Status != venue.Accepted || ack.VenueOrderID == 0 {
		t.Fatalf("ack %+v", ack)
	}
	rep := f.verifyAudit(t)
	if rep.ByType[audit.TypeOrder] != 1 || rep.ByType[audit.TypeAck] != 1 {
		t.Fatalf("audit %+v", rep)
	}
}

type badSigner struct{ provider.Key }

func (b badSigner) Sign(ctx context.Context, msg []byte) ([]byte, error) {
	sig, err := b.Key.Sign(ctx, msg)
	if err == nil {
		sig[0] ^= 1
	}
	return sig, err
}

func TestSendOrderErrors(t *testing.T) {
	other := hmac.NewFromSeed(7)
	closed := hmac.NewFromSeed(42)
	closed.Close()
	tests := []struct {
		name     string
		opts     options
		prep     func(f *fixture) []byte
		kind     error
		delivery venue.Delivery
		rule     risk.Rule
		reason   venue.Reason
	}{
		{"garbage", options{}, func(f *fixture) []byte { return []byte("hello") }, ErrInvalidOrder, venue.NotSent, "", 0},
		{"trailing byte", options{}, func(f *fixture) []byte { return append(f.order(t, "c", nil), 0) }, ErrInvalidOrder, venue.NotSent, "", 0},
		{"max quantity", options{}, func(f *fixture) []byte {
			return f.order(t, "c", func(o *order.Order) { o.Quantity = 6000 })
		}, ErrRiskRejected, venue.NotSent, risk.RuleMaxQuantity, 0},
		{"denied symbol", options{}, func(f *fixture) []byte {
			return f.order(t, "c", func(o *order.Order) { o.Symbol = "GME" })
		}, ErrRiskRejected, venue.NotSent, risk.RuleSymbolDeny, 0},
		{"kill switch", options{}, func(f *fixture) []byte {
			f.a.Risk().SetKillSwitch(true)
			return f.order(t, "c", nil)
		}, ErrRiskRejected, venue.NotSent, risk.RuleKillSwitch, 0},
		{"duplicate caught by risk", options{}, func(f *fixture) []byte {
			b := f.order(t, "c", nil)
			if _, err := f.a.SendOrder(context.Background(), b); err != nil {
				t.Fatal(err)
			}
			return b
		}, ErrRiskRejected, venue.NotSent, risk.RuleDuplicate, 0},
		{"signer closed", options{signer: closed}, func(f *fixture) []byte { return f.order(t, "c", nil) }, ErrSigning, venue.NotSent, "", 0},
		{"unknown key at venue", options{venueKey: other}, func(f *fixture) []byte { return f.order(t, "c", nil) }, ErrVenueRejected, venue.Delivered, "", venue.ReasonUnknownKey},
		{"bad signature", options{signer: badSigner{hmac.NewFromSeed(42)}}, func(f *fixture) []byte { return f.order(t, "c", nil) }, ErrVenueRejected, venue.Delivered, "", venue.ReasonBadSignature},
		{"stale timestamp", options{}, func(f *fixture) []byte {
			return f.order(t, "c", func(o *order.Order) { o.Timestamp -= int64(time.Minute) })
		}, ErrVenueRejected, venue.Delivered, "", venue.ReasonStale},
		{"duplicate at venue", options{noRisk: true}, func(f *fixture) []byte {
			b := f.order(t, "c", nil)
			if _, err := f.a.SendOrder(context.Background(), b); err != nil {
				t.Fatal(err)
			}
			return b
		}, ErrVenueRejected, venue.Delivered, "", venue.ReasonDuplicate},
		{"venue closed", options{}, func(f *fixture) []byte { f.sim.Close(); return f.order(t, "c", nil) }, ErrVenueUnreachable, venue.NotSent, "", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tc.opts)
			_, err := f.a.SendOrder(context.Background(), tc.prep(f))
			var e *Error
			if !errors.As(err, &e) || !errors.Is(err, tc.kind) {
				t.Fatalf("got %v; want %v", err, tc.kind)
			}
			if e.Delivery != tc.delivery || e.Rule != tc.rule || e.Reason != tc.reason {
				t.Fatalf("got delivery %v rule %q reason %v; want %v %q %v (%v)", e.Delivery, e.Rule, e.Reason, tc.delivery, tc.rule, tc.reason, err)
			}
			if MayHaveReachedVenue(err) != (tc.delivery != venue.NotSent) {
				t.Fatalf("MayHaveReachedVenue wrong for %v", err)
			}
			if tc.kind == ErrInvalidOrder && !errors.Is(err, order.ErrInvalid) {
				t.Fatalf("invalid order error does not match order.ErrInvalid: %v", err)
			}
			if f.a.Risk() != nil && f.a.Risk().OpenNotional("ACC-1") != 0 {
				t.Fatalf("failed order left %d open notional", f.a.Risk().OpenNotional("ACC-1"))
			}
			rep := f.verifyAudit(t)
			if rep.ByType[audit.TypeReject]+rep.ByType[audit.TypeSendError] == 0 && tc.kind != ErrVenueRejected {
				t.Fatalf("failure not audited: %+v", rep.ByType)
			}
		})
	}
}

func TestCreditReleasedForIOCKeptForDay(t *testing.T) {
	f := newFixture(t, options{})
	ctx := context.Background()
	if _, err := f.a.SendOrder(ctx, f.order(t, "ioc", nil)); err != nil {
		t.Fatal(err)
	}
	if n := f.a.Risk().OpenNotional("ACC-1"); n != 0 {
		t.Fatalf("IOC left %d open", n)
	}
	b := f.order(t, "day", func(o *order.Order) { o.TimeInForce = order.Day })
	if _, err := f.a.SendOrder(ctx, b); err != nil {
		t.Fatal(err)
	}
	want := risk.Nanos(100, order.Price{Mantissa: 19005, Exponent: -2})
	if n := f.a.Risk().OpenNotional("ACC-1"); n != want {
		t.Fatalf("DAY open notional %d, want %d", n, want)
	}
	f.a.Release([]byte("ACC-1"), want)
	if n := f.a.Risk().OpenNotional("ACC-1"); n != 0 {
		t.Fatalf("after release: %d", n)
	}
}

func TestPreTradeCheckIsStateless(t *testing.T) {
	f := newFixture(t, options{})
	b := f.order(t, "c", nil)
	for range 3 {
		if err := f.a.PreTradeCheck(b); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.a.SendOrder(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	var r *risk.Rejection
	if err := f.a.PreTradeCheck(b); !errors.As(err, &r) || r.Rule != risk.RuleDuplicate {
		t.Fatalf("after sending: %v", err)
	}
	if err := f.a.PreTradeCheck([]byte{1, 2}); !errors.Is(err, order.ErrTruncated) {
		t.Fatalf("got %v", err)
	}
}

// fullDisk is a real file that runs out of space after a number of bytes.
type fullDisk struct {
	*os.File
	left int
}

func (d *fullDisk) Write(b []byte) (int, error) {
	if len(b) <= d.left {
		d.left -= len(b)
		return d.File.Write(b)
	}
	n, _ := d.File.Write(b[:d.left])
	d.left = 0
	return n, &os.PathError{Op: "write", Path: d.Name(), Err: syscall.ENOSPC}
}

func TestFullDiskAlwaysIsNotAcknowledged(t *testing.T) {
	open := func(p string) (audit.File, error) {
		file, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o600)
		return &fullDisk{File: file, left: 1500}, err
	}
	f := newFixture(t, options{audit: audit.Options{Durability: audit.Always, OpenFile: open}})
	var err error
	var sent, acked int
	for i := 0; err == nil && i < 100; i++ {
		var ack Ack
		ack, err = f.a.SendOrder(context.Background(), f.order(t, fmt.Sprintf("c-%d", i), nil))
		sent++
		if err == nil && ack.Status == venue.Accepted {
			acked++
		}
	}
	var e *Error
	if !errors.As(err, &e) || !errors.Is(err, ErrAudit) || !errors.Is(err, audit.ErrNotDurable) || !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("got %v; want ErrAudit with ENOSPC", err)
	}
	if e.Delivery == venue.Delivered && e.Ack.VenueOrderID == 0 {
		t.Fatalf("delivered but no ack in the error: %+v", e)
	}
	// Every later order is refused before it is sent.
	_, err = f.a.SendOrder(context.Background(), f.order(t, "after", nil))
	if !errors.As(err, &e) || e.Delivery != venue.NotSent || !errors.Is(err, ErrAudit) {
		t.Fatalf("after the failure: %v", err)
	}
	f.log.Close()
	// Space comes back: the log recovers and holds every acknowledged order.
	w, _, err := audit.Open(f.path, audit.Options{Signer: f.ck, Durability: audit.Always})
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	rep, err := audit.VerifyFile(context.Background(), f.path, f.ckKeys)
	if err != nil {
		t.Fatal(err)
	}
	if rep.ByType[audit.TypeAck] != uint64(acked) {
		t.Fatalf("%d acks in the log, %d orders acknowledged", rep.ByType[audit.TypeAck], acked)
	}
}
