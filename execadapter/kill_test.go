package execadapter

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tinywindow/tinywindow/execadapter/audit"
	"github.com/tinywindow/tinywindow/execadapter/killswitch"
	"github.com/tinywindow/tinywindow/execadapter/order"
	"github.com/tinywindow/tinywindow/execadapter/risk"
	"github.com/tinywindow/tinywindow/provider"
)

func scope(t testing.TB, s string) killswitch.Scope {
	t.Helper()
	sc, err := killswitch.ParseScope(s)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// watchSigner signs with its key and, once the signature is made, counts
// the orders of the killed account it signed while the kill stood
// acknowledged (violations) or while Kill had not yet returned (inFlight).
type watchSigner struct {
	provider.Key
	acked, killing       atomic.Bool
	violations, inFlight atomic.Int64
	signedKilled         atomic.Int64
	signedOther          atomic.Int64
}

var killedAccount = []byte("ACC-KILL")

func (w *watchSigner) Sign(ctx context.Context, msg []byte) ([]byte, error) {
	runtime.Gosched() // a signer that takes its time, as a remote one does
	sig, err := w.Key.Sign(ctx, msg)
	if !bytes.Contains(msg, killedAccount) {
		w.signedOther.Add(1)
		return sig, err
	}
	w.signedKilled.Add(1)
	switch {
	case w.acked.Load():
		w.violations.Add(1)
	case w.killing.Load():
		w.inFlight.Add(1)
	}
	return sig, err
}

// TestKillRaceFree32Signers: 32 goroutines send orders, three in four of
// them for the account that is killed and resumed again and again; no
// order of that account is signed from the moment a Kill returns until the
// resume, while the others' orders go on. It runs with four Ps per CPU, so
// that the goroutines are preempted anywhere, and counts the orders that
// were in flight when each kill was published.
func TestKillRaceFree32Signers(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4 * runtime.NumCPU()))
	w := &watchSigner{Key: hmacKey(t)}
	f := newFixture(t, options{signer: w, audit: audit.Options{Durability: audit.Batch}})
	ctx := context.Background()
	var (
		stop       atomic.Bool
		wg         sync.WaitGroup
		unexpected atomic.Pointer[error]
		refused    atomic.Int64
	)
	for g := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			account := string(killedAccount)
			if g%4 == 0 {
				account = "ACC-1"
			}
			for i := 0; !stop.Load(); i++ {
				b := f.order(t, fmt.Sprintf("g%d-%d", g, i), func(o *order.Order) { o.Account = account })
				_, err := f.a.SendOrder(ctx, b)
				var e *Error
				switch {
				case err == nil:
				case errors.As(err, &e) && e.Rule == risk.RuleKillSwitch && account == string(killedAccount):
					refused.Add(1)
					time.Sleep(time.Millisecond) // a refused caller backs off

				default:
					unexpected.CompareAndSwap(nil, &err)
				}
			}
		}()
	}
	waitFor := func(what string, cond func() bool) {
		for !cond() {
			if p := unexpected.Load(); p != nil {
				stop.Store(true)
				wg.Wait()
				t.Fatalf("while waiting for %s: an order failed: %v", what, *p)
			}
			runtime.Gosched()
		}
	}
	const rounds = 10
	var inFlight int64
	for i := range rounds {
		n, signed := f.a.KillStats().Refused, w.signedKilled.Load()
		waitFor("orders of the account", func() bool { return w.signedKilled.Load() >= signed+16 })
		w.killing.Store(true)
		_, eff, err := f.a.Kill(ctx, scope(t, "account=ACC-KILL"), "risk-desk", fmt.Sprintf("round %d", i))
		w.acked.Store(true)
		w.killing.Store(false)
		if err != nil {
			t.Fatal(err)
		}
		inFlight += eff.InFlight
		other := w.signedOther.Load()
		waitFor("refusals and other accounts' orders", func() bool {
			return f.a.KillStats().Refused >= n+8 && w.signedOther.Load() >= other+8
		})
		if _, err := f.a.Resume(ctx, scope(t, "account=ACC-KILL"), "ops-1", "checked"); err != nil {
			t.Fatal(err)
		}
		w.acked.Store(false)
		if r, err := f.a.Resume(ctx, scope(t, "account=ACC-KILL"), "ops-2", "checked"); err != nil || !r.Lifted {
			t.Fatalf("round %d: second Resume = %+v, %v", i, r, err)
		}
	}
	stop.Store(true)
	wg.Wait()
	if p := unexpected.Load(); p != nil {
		t.Fatalf("an order failed: %v", *p)
	}
	if v := w.violations.Load(); v != 0 {
		t.Fatalf("%d orders of the killed account were signed after Kill returned", v)
	}
	st := f.a.KillStats()
	t.Logf("%d kills: %d orders in flight when a kill was published (%d of the killed account signed while Kill ran), %d refused; take effect mean %v, max %v",
		rounds, inFlight, w.inFlight.Load(), st.Refused, st.TakeEffectTotal/rounds, st.TakeEffectMax)
	if st.Kills != rounds || st.Resumes != rounds || st.Refused != uint64(refused.Load()) {
		t.Fatalf("KillStats = %+v; %d refusals seen", st, refused.Load())
	}
	rep := f.verifyAudit(t)
	if len(rep.Kills) != 3*rounds {
		t.Fatalf("the audit log holds %d kill events, want %d", len(rep.Kills), 3*rounds)
	}
}

func hmacKey(t testing.TB) provider.Key {
	t.Helper()
	k, err := provider.Open(context.Background(), "hmac:seed=42")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { k.Close() })
	return k
}

// TestKillRecordedAndCheckpointed: a kill, a resume approval and the
// resume are each an audit record that a signed checkpoint covers by the
// time the call returns (Prove finds it without waiting for the interval);
// orders of the killed account are refused in between, others go on; the
// same identity cannot approve twice; `audit verify` lists the events.
func TestKillRecordedAndCheckpointed(t *testing.T) {
	f := newFixture(t, options{audit: audit.Options{Durability: audit.Always, CheckpointInterval: time.Hour, CheckpointEvery: 1 << 20}})
	ctx := context.Background()
	acc := scope(t, "account=ACC-1")
	vs, err := audit.CheckpointVerifiers(f.log.Origin(), []provider.Verifier{f.ck})
	if err != nil {
		t.Fatal(err)
	}
	// covered checks that the record before the log's last (a checkpoint)
	// is a kill record that the latest signed checkpoint covers.
	covered := func(what string) {
		t.Helper()
		seq := f.log.Seq() - 1
		p, err := audit.Prove(f.path, seq)
		if err != nil {
			t.Fatalf("%s: no signed checkpoint covers record %d yet: %v", what, seq, err)
		}
		rec, _, err := p.Check(vs)
		if err != nil || rec.Type != audit.TypeKill {
			t.Fatalf("%s: record %d is %v (%v), want a kill record", what, seq, rec.Type, err)
		}
	}
	send := func(id, account string) error {
		_, err := f.a.SendOrder(ctx, f.order(t, id, func(o *order.Order) { o.Account = account }))
		return err
	}
	refused := func(what, id string) {
		t.Helper()
		err := send(id, "ACC-1")
		var e *Error
		if !errors.As(err, &e) || e.Kind != ErrRiskRejected || e.Rule != risk.RuleKillSwitch || MayHaveReachedVenue(err) {
			t.Fatalf("%s: order of ACC-1: %v, want a kill_switch rejection, not sent", what, err)
		}
		if err := f.a.PreTradeCheck(f.order(t, id+"-check", nil)); !errors.Is(err, risk.ErrRejected) {
			t.Fatalf("%s: PreTradeCheck: %v, want the kill's rejection", what, err)
		}
		if err := send(id+"-other", "ACC-2"); err != nil {
			t.Fatalf("%s: order of ACC-2: %v", what, err)
		}
	}
	if err := send("c-0", "ACC-1"); err != nil {
		t.Fatal(err)
	}
	k, _, err := f.a.Kill(ctx, acc, "alice", "runaway algo")
	if err != nil || k.ID != 1 || k.Scope != acc {
		t.Fatalf("Kill = %v, %v", k, err)
	}
	covered("kill")
	refused("after the kill", "c-1")
	if got := f.a.Kills(); len(got) != 1 || got[0].ID != 1 {
		t.Fatalf("Kills() = %v", got)
	}
	if r, err := f.a.Resume(ctx, acc, "bob", "algo stopped"); err != nil || r.Lifted {
		t.Fatalf("first Resume = %+v, %v", r, err)
	}
	covered("approval")
	refused("after one approval", "c-2")
	seq := f.log.Seq()
	if _, err := f.a.Resume(ctx, acc, "bob", "algo stopped"); !errors.Is(err, killswitch.ErrSameIdentity) {
		t.Fatalf("Resume by bob twice: %v, want ErrSameIdentity", err)
	}
	if f.log.Seq() != seq {
		t.Fatal("a refused resume was recorded")
	}
	refused("after the same identity twice", "c-3")
	if r, err := f.a.Resume(ctx, acc, "carol", "fix checked"); err != nil || !r.Lifted {
		t.Fatalf("second Resume = %+v, %v", r, err)
	}
	covered("resume")
	if err := send("c-4", "ACC-1"); err != nil {
		t.Fatalf("order after the resume: %v", err)
	}
	st := f.a.KillStats()
	if st.Kills != 1 || st.Approvals != 1 || st.Resumes != 1 || st.Refused != 3 || st.TakeEffectMax <= 0 {
		t.Fatalf("KillStats = %+v; want 1 kill, 1 approval, 1 resume, 3 refused, a time to take effect", st)
	}
	rep := f.verifyAudit(t)
	var got []string
	for _, e := range rep.Kills {
		got = append(got, fmt.Sprintf("%v %d %v %s %q %v", e.Action, e.Kill, e.Scope, e.Identity, e.Reason, e.Time.Equal(f.clock)))
	}
	want := []string{
		`kill 1 account=ACC-1 alice "runaway algo" true`,
		`resume-approval 1 account=ACC-1 bob "algo stopped" true`,
		`resume 1 account=ACC-1 carol "fix checked" true`,
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("audit kill events:\n%q\nwant\n%q", got, want)
	}
}

// TestKillRefused: bad kills and resumes are refused before anything
// changes. An account or symbol is unknown when the pre-trade checks let
// none of its orders through.
func TestKillRefused(t *testing.T) {
	cfg, err := risk.ParseConfig([]byte(`
symbols: {allow: [AAPL, MSFT, GME], deny: [GME]}
credit_limits: {accounts: {ACC-1: "1000000"}}
reference_prices: {AAPL: "190"}
`))
	if err != nil {
		t.Fatal(err)
	}
	checker, _ := risk.New(cfg)
	f := newFixture(t, options{})
	a, err := New(Config{Signer: f.key, Venue: f.sim, Risk: checker})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, tc := range []struct {
		name             string
		scope            killswitch.Scope
		identity, reason string
		want             error
	}{
		{"empty scope", killswitch.Scope{}, "alice", "r", killswitch.ErrInvalid},
		{"account without a name", killswitch.Scope{Kind: killswitch.Account}, "alice", "r", killswitch.ErrInvalid},
		{"unknown account", scope(t, "account=ACC-9"), "alice", "r", killswitch.ErrUnknownScope},
		{"denied symbol", scope(t, "symbol=GME"), "alice", "r", killswitch.ErrUnknownScope},
		{"symbol off the allow list", scope(t, "symbol=NVDA"), "alice", "r", killswitch.ErrUnknownScope},
		{"empty identity", scope(t, "all"), "", "r", killswitch.ErrInvalid},
		{"empty reason", scope(t, "account=ACC-1"), "alice", "", killswitch.ErrInvalid},
	} {
		if _, _, err := a.Kill(ctx, tc.scope, tc.identity, tc.reason); !errors.Is(err, tc.want) {
			t.Errorf("%s: Kill: %v, want %v", tc.name, err, tc.want)
		}
	}
	if len(a.Kills()) != 0 || a.KillStats().Kills != 0 {
		t.Fatalf("a refused kill is in force: %v", a.Kills())
	}
	for _, s := range []string{"account=ACC-1", "symbol=AAPL", "all"} {
		if _, _, err := a.Kill(ctx, scope(t, s), "alice", "r"); err != nil {
			t.Errorf("Kill %s: %v", s, err)
		}
	}
	if _, err := a.Resume(ctx, scope(t, "symbol=MSFT"), "bob", "r"); !errors.Is(err, killswitch.ErrNotKilled) {
		t.Errorf("Resume of a scope not killed: %v, want ErrNotKilled", err)
	}
	// With a default credit limit, every account can trade: none is unknown.
	if _, _, err := f.a.Kill(ctx, scope(t, "account=ACC-NEW"), "alice", "r"); err != nil {
		t.Errorf("Kill of an account the default credit limit covers: %v", err)
	}
}

// TestKillIndependentOfRiskSwitch: the risk configuration's kill switch
// neither lifts nor hides a kill.
func TestKillIndependentOfRiskSwitch(t *testing.T) {
	f := newFixture(t, options{})
	ctx := context.Background()
	if _, _, err := f.a.Kill(ctx, scope(t, "symbol=AAPL"), "alice", "bad prints"); err != nil {
		t.Fatal(err)
	}
	f.a.Risk().SetKillSwitch(true)
	f.a.Risk().SetKillSwitch(false)
	_, err := f.a.SendOrder(ctx, f.order(t, "c-1", nil))
	var r *risk.Rejection
	if !errors.As(err, &r) || r.Rule != risk.RuleKillSwitch || !strings.Contains(r.Detail, "kill 1 (symbol=AAPL)") {
		t.Fatalf("SendOrder after the risk switch went off: %v; want kill 1's rejection", err)
	}
}

// TestKillNotRecorded: with an audit log that cannot record, a kill is in
// force all the same (and says it is not recorded); a resume is refused.
func TestKillNotRecorded(t *testing.T) {
	f := newFixture(t, options{})
	ctx := context.Background()
	f.log.Close()
	all := scope(t, "all")
	if _, _, err := f.a.Kill(ctx, all, "alice", "halt"); !errors.Is(err, killswitch.ErrNotRecorded) || !errors.Is(err, audit.ErrClosed) {
		t.Fatalf("Kill with a closed log: %v, want ErrNotRecorded", err)
	}
	if len(f.a.Kills()) != 1 {
		t.Fatal("a kill that could not be recorded is not in force")
	}
	if _, err := f.a.Resume(ctx, all, "bob", "ok"); !errors.Is(err, killswitch.ErrNotRecorded) {
		t.Fatalf("Resume with a closed log: %v, want ErrNotRecorded", err)
	}
	if len(f.a.Kills()) != 1 || f.a.KillStats().Approvals != 0 {
		t.Fatal("a resume that could not be recorded changed the kill")
	}
}

// TestKillSharedAcrossAdapters: adapters that share a kill switch (the old
// and the new adapter of a key rotation) are stopped by a kill made through
// either, and released by a resume made through either.
func TestKillSharedAcrossAdapters(t *testing.T) {
	f := newFixture(t, options{})
	ctx := context.Background()
	ks := NewKillSwitch(f.a.Risk(), f.log, nil)
	var as [2]*Adapter
	for i := range as {
		var err error
		if as[i], err = New(Config{Signer: f.key, Venue: f.sim, Risk: f.a.Risk(), Audit: f.log, KillSwitch: ks}); err != nil {
			t.Fatal(err)
		}
	}
	all := scope(t, "all")
	if _, _, err := as[0].Kill(ctx, all, "alice", "halt"); err != nil {
		t.Fatal(err)
	}
	if _, err := as[1].SendOrder(ctx, f.order(t, "c-1", nil)); !errors.Is(err, ErrRiskRejected) {
		t.Fatalf("the other adapter's order under the kill: %v, want a kill_switch rejection", err)
	}
	as[1].Resume(ctx, all, "bob", "ok")
	if r, err := as[0].Resume(ctx, all, "carol", "ok"); err != nil || !r.Lifted {
		t.Fatalf("Resume through the first adapter = %+v, %v", r, err)
	}
	if _, err := as[0].SendOrder(ctx, f.order(t, "c-2", nil)); err != nil {
		t.Fatal(err)
	}
	if rep := f.verifyAudit(t); len(rep.Kills) != 3 {
		t.Fatalf("the shared audit log holds %d kill events, want 3", len(rep.Kills))
	}
}

// TestKillNotWitnessed: when the checkpoint cannot be awaited (ctx ended),
// a kill, approval and resume are recorded and take effect, and say they
// are not yet witnessed; the log's next checkpoint covers them.
func TestKillNotWitnessed(t *testing.T) {
	f := newFixture(t, options{audit: audit.Options{CheckpointInterval: time.Hour, CheckpointEvery: 1 << 20}})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	all := scope(t, "all")
	if _, _, err := f.a.Kill(ctx, all, "alice", "halt"); !errors.Is(err, killswitch.ErrNotWitnessed) || !errors.Is(err, context.Canceled) {
		t.Fatalf("Kill with ctx done: %v, want ErrNotWitnessed", err)
	}
	if _, err := f.a.SendOrder(context.Background(), f.order(t, "c-1", nil)); !errors.Is(err, ErrRiskRejected) {
		t.Fatalf("order under the kill: %v", err)
	}
	if _, err := f.a.Resume(ctx, all, "bob", "ok"); !errors.Is(err, killswitch.ErrNotWitnessed) {
		t.Fatalf("approval with ctx done: %v, want ErrNotWitnessed", err)
	}
	if r, err := f.a.Resume(ctx, all, "carol", "ok"); !errors.Is(err, killswitch.ErrNotWitnessed) || !r.Lifted {
		t.Fatalf("resume with ctx done = %+v, %v; want lifted and ErrNotWitnessed", r, err)
	}
	if _, err := f.a.SendOrder(context.Background(), f.order(t, "c-2", nil)); err != nil {
		t.Fatal(err)
	}
	if rep := f.verifyAudit(t); len(rep.Kills) != 3 {
		t.Fatalf("the log holds %d kill events, want 3", len(rep.Kills))
	}
}
