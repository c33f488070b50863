package killswitch_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/tinywindow/tinywindow/execadapter/killswitch"
	"github.com/tinywindow/tinywindow/internal/testenv"
)

var ctx = context.Background()

func mustScope(t testing.TB, s string) killswitch.Scope {
	t.Helper()
	sc, err := killswitch.ParseScope(s)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func TestParseScope(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want killswitch.Scope
		ok   bool
	}{
		{"all", killswitch.Scope{Kind: killswitch.All}, true},
		{"account=ACC-1", killswitch.Scope{Kind: killswitch.Account, Value: "ACC-1"}, true},
		{"symbol=AAPL", killswitch.Scope{Kind: killswitch.Symbol, Value: "AAPL"}, true},
		{"symbol=A=B", killswitch.Scope{Kind: killswitch.Symbol, Value: "A=B"}, true},
		{"account=" + strings.Repeat("a", 32), killswitch.Scope{Kind: killswitch.Account, Value: strings.Repeat("a", 32)}, true},
		{"", killswitch.Scope{}, false},
		{"ALL", killswitch.Scope{}, false},
		{"all=x", killswitch.Scope{}, false},
		{"account", killswitch.Scope{}, false},
		{"account=", killswitch.Scope{}, false},
		{"symbol=", killswitch.Scope{}, false},
		{"trader=bob", killswitch.Scope{}, false},
		{"account=" + strings.Repeat("a", 33), killswitch.Scope{}, false},
		{"symbol=" + strings.Repeat("S", 17), killswitch.Scope{}, false},
		{"symbol=AA\nPL", killswitch.Scope{}, false},
		{"account=\xff", killswitch.Scope{}, false},
	} {
		got, err := killswitch.ParseScope(tc.in)
		if tc.ok != (err == nil) || got != tc.want {
			t.Errorf("ParseScope(%q) = %+v, %v; want %+v, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
		if err != nil && !errors.Is(err, killswitch.ErrInvalid) {
			t.Errorf("ParseScope(%q): %v does not match ErrInvalid", tc.in, err)
		}
		if err == nil && got.String() != tc.in {
			t.Errorf("ParseScope(%q).String() = %q", tc.in, got.String())
		}
	}
	if err := (killswitch.Scope{}).Check(); !errors.Is(err, killswitch.ErrInvalid) {
		t.Errorf("the zero Scope: Check() = %v, want ErrInvalid", err)
	}
}

func TestScopeMatches(t *testing.T) {
	for _, tc := range []struct {
		scope, account, symbol string
		want                   bool
	}{
		{"all", "A", "S", true},
		{"account=A", "A", "S", true},
		{"account=A", "B", "A", false},
		{"account=A", "AA", "S", false},
		{"symbol=S", "S", "T", false},
		{"symbol=S", "A", "S", true},
	} {
		if got := mustScope(t, tc.scope).Matches([]byte(tc.account), []byte(tc.symbol)); got != tc.want {
			t.Errorf("%s.Matches(%q, %q) = %v, want %v", tc.scope, tc.account, tc.symbol, got, tc.want)
		}
	}
}

func TestEventRoundTrip(t *testing.T) {
	for _, e := range []killswitch.Event{
		{Action: killswitch.ActionKill, Kill: 1, Scope: killswitch.Scope{Kind: killswitch.All}, Identity: "alice", Reason: "runaway algo"},
		{Action: killswitch.ActionApprove, Kill: 1 << 40, Scope: killswitch.Scope{Kind: killswitch.Account, Value: "ACC-1"}, Identity: "CN=ops,O=firm", Reason: "fixed ✓"},
		{Action: killswitch.ActionResume, Kill: 7, Scope: killswitch.Scope{Kind: killswitch.Symbol, Value: "MSFT"}, Identity: strings.Repeat("i", 255), Reason: strings.Repeat("r", 1024)},
	} {
		b, err := e.AppendBinary([]byte("prefix"))
		if err != nil {
			t.Fatal(err)
		}
		got, err := killswitch.ParseEvent(b[len("prefix"):])
		if err != nil || got != e {
			t.Fatalf("ParseEvent(AppendBinary(%v)) = %v, %v", e, got, err)
		}
		// Every cut and every extra byte is refused.
		body := b[len("prefix"):]
		for n := range len(body) {
			if _, err := killswitch.ParseEvent(body[:n]); !errors.Is(err, killswitch.ErrInvalid) {
				t.Fatalf("ParseEvent of the first %d of %d bytes: %v, want ErrInvalid", n, len(body), err)
			}
		}
		if _, err := killswitch.ParseEvent(append(body, 0)); !errors.Is(err, killswitch.ErrInvalid) {
			t.Fatalf("ParseEvent with a trailing byte: %v, want ErrInvalid", err)
		}
	}
}

func TestEventRefused(t *testing.T) {
	good := killswitch.Event{Action: killswitch.ActionKill, Kill: 1, Scope: killswitch.Scope{Kind: killswitch.All}, Identity: "alice", Reason: "r"}
	for name, change := range map[string]func(*killswitch.Event){
		"action 0":          func(e *killswitch.Event) { e.Action = 0 },
		"action 4":          func(e *killswitch.Event) { e.Action = 4 },
		"kill 0":            func(e *killswitch.Event) { e.Kill = 0 },
		"empty scope":       func(e *killswitch.Event) { e.Scope = killswitch.Scope{} },
		"all with a value":  func(e *killswitch.Event) { e.Scope.Value = "x" },
		"empty identity":    func(e *killswitch.Event) { e.Identity = "" },
		"identity newline":  func(e *killswitch.Event) { e.Identity = "alice\nbob" },
		"identity too long": func(e *killswitch.Event) { e.Identity = strings.Repeat("i", 256) },
		"empty reason":      func(e *killswitch.Event) { e.Reason = "" },
		"reason ESC":        func(e *killswitch.Event) { e.Reason = "\x1b[2J" },
		"reason too long":   func(e *killswitch.Event) { e.Reason = strings.Repeat("r", 1025) },
	} {
		e := good
		change(&e)
		if _, err := e.AppendBinary(nil); !errors.Is(err, killswitch.ErrInvalid) {
			t.Errorf("%s: AppendBinary: %v, want ErrInvalid", name, err)
		}
	}
	// The same, hand-encoded, is refused by ParseEvent.
	b, _ := good.AppendBinary(nil)
	b[0] = 9
	if _, err := killswitch.ParseEvent(b); !errors.Is(err, killswitch.ErrInvalid) {
		t.Errorf("ParseEvent of action 9: %v, want ErrInvalid", err)
	}
}

// recorder keeps the events a switch records, and fails while fail is set.
type recorder struct {
	mu     sync.Mutex
	events []killswitch.Event
	fail   error
}

func (r *recorder) record(_ context.Context, e killswitch.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.fail
	}
	r.events = append(r.events, e)
	return nil
}

func (r *recorder) actions() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, e := range r.events {
		out = append(out, e.Action.String()+" "+e.Scope.String()+" "+e.Identity)
	}
	return out
}

// stopped reports whether s stops an order of account and symbol.
func stopped(s *killswitch.Switch, account, symbol string) bool {
	p, k := s.Enter([]byte(account), []byte(symbol))
	if k == nil {
		p.Leave()
	}
	return k != nil
}

func TestFourEyesResume(t *testing.T) {
	rec := &recorder{}
	s := killswitch.New(killswitch.Options{Record: rec.record})
	acc := mustScope(t, "account=ACC-1")
	k, _, err := s.Kill(ctx, acc, "alice", "runaway algo")
	if err != nil || k.ID != 1 {
		t.Fatalf("Kill = %v, %v", k, err)
	}
	if !stopped(s, "ACC-1", "AAPL") || stopped(s, "ACC-2", "AAPL") {
		t.Fatal("the kill of account=ACC-1 does not stop exactly ACC-1's orders")
	}
	r, err := s.Resume(ctx, acc, "bob", "algo fixed")
	if err != nil || r.Lifted || !slices.Equal(r.Approvers, []string{"bob"}) {
		t.Fatalf("first Resume = %+v, %v; want an approval by bob, not lifted", r, err)
	}
	if !stopped(s, "ACC-1", "AAPL") {
		t.Fatal("one identity's approval lifted the kill")
	}
	if _, err := s.Resume(ctx, acc, "bob", "again"); !errors.Is(err, killswitch.ErrSameIdentity) {
		t.Fatalf("Resume by bob twice: %v, want ErrSameIdentity", err)
	}
	if !stopped(s, "ACC-1", "AAPL") {
		t.Fatal("the same identity twice lifted the kill")
	}
	r, err = s.Resume(ctx, acc, "carol", "checked")
	if err != nil || !r.Lifted || !slices.Equal(r.Approvers, []string{"bob", "carol"}) || r.Kill.ID != 1 {
		t.Fatalf("second Resume = %+v, %v; want kill 1 lifted by bob and carol", r, err)
	}
	if stopped(s, "ACC-1", "AAPL") || len(s.Active()) != 0 {
		t.Fatal("the kill is still in force after two identities resumed it")
	}
	want := []string{"kill account=ACC-1 alice", "resume-approval account=ACC-1 bob", "resume account=ACC-1 carol"}
	if got := rec.actions(); !slices.Equal(got, want) {
		t.Fatalf("recorded %q, want %q", got, want)
	}
	st := s.Stats()
	if st.Kills != 1 || st.Approvals != 1 || st.Resumes != 1 || st.Refused != 3 {
		t.Fatalf("Stats = %+v; want 1 kill, 1 approval, 1 resume, 3 refused", st)
	}
}

func TestKillRefused(t *testing.T) {
	unknown := errors.New("no such account in the limits")
	s := killswitch.New(killswitch.Options{Known: func(sc killswitch.Scope) error {
		if sc.Kind == killswitch.Account && sc.Value != "ACC-1" {
			return unknown
		}
		return nil
	}})
	for _, tc := range []struct {
		name             string
		scope            killswitch.Scope
		identity, reason string
		want             error
	}{
		{"empty scope", killswitch.Scope{}, "alice", "r", killswitch.ErrInvalid},
		{"account without a name", killswitch.Scope{Kind: killswitch.Account}, "alice", "r", killswitch.ErrInvalid},
		{"unknown account", killswitch.Scope{Kind: killswitch.Account, Value: "ACC-9"}, "alice", "r", unknown},
		{"empty identity", killswitch.Scope{Kind: killswitch.All}, "", "r", killswitch.ErrInvalid},
		{"empty reason", killswitch.Scope{Kind: killswitch.All}, "alice", "", killswitch.ErrInvalid},
		{"reason with a newline", killswitch.Scope{Kind: killswitch.All}, "alice", "a\nforged line", killswitch.ErrInvalid},
	} {
		if _, _, err := s.Kill(ctx, tc.scope, tc.identity, tc.reason); !errors.Is(err, tc.want) {
			t.Errorf("%s: Kill: %v, want %v", tc.name, err, tc.want)
		}
	}
	if _, _, err := s.Kill(ctx, killswitch.Scope{Kind: killswitch.Account, Value: "ACC-9"}, "a", "r"); !errors.Is(err, killswitch.ErrUnknownScope) {
		t.Errorf("unknown account: %v does not match ErrUnknownScope", err)
	}
	if len(s.Active()) != 0 || s.Stats().Kills != 0 || stopped(s, "ACC-9", "AAPL") {
		t.Fatal("a refused kill came into force")
	}
}

func TestResumeRefused(t *testing.T) {
	s := killswitch.New(killswitch.Options{})
	if _, _, err := s.Kill(ctx, mustScope(t, "all"), "alice", "halt"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, scope, identity, reason string
		want                          error
	}{
		{"scope not killed", "account=ACC-1", "bob", "r", killswitch.ErrNotKilled},
		{"empty identity", "all", "", "r", killswitch.ErrInvalid},
		{"empty reason", "all", "bob", "", killswitch.ErrInvalid},
	} {
		if _, err := s.Resume(ctx, mustScope(t, tc.scope), tc.identity, tc.reason); !errors.Is(err, tc.want) {
			t.Errorf("%s: Resume: %v, want %v", tc.name, err, tc.want)
		}
	}
	if _, err := s.Resume(ctx, killswitch.Scope{}, "bob", "r"); !errors.Is(err, killswitch.ErrInvalid) {
		t.Errorf("empty scope: Resume: %v, want ErrInvalid", err)
	}
	if !stopped(s, "ACC-1", "AAPL") || s.Stats().Approvals != 0 {
		t.Fatal("a refused resume changed the switch")
	}
}

// TestRekillNeedsFreshApprovals: a new kill of a killed scope replaces the
// old one, and an approval of the old one does not count for it.
func TestRekillNeedsFreshApprovals(t *testing.T) {
	s := killswitch.New(killswitch.Options{})
	sym := mustScope(t, "symbol=GME")
	s.Kill(ctx, sym, "alice", "first")
	if r, err := s.Resume(ctx, sym, "bob", "ok"); err != nil || r.Lifted {
		t.Fatalf("Resume = %+v, %v", r, err)
	}
	k2, _, err := s.Kill(ctx, sym, "carol", "again")
	if err != nil || k2.ID != 2 {
		t.Fatalf("second Kill = %v, %v", k2, err)
	}
	r, err := s.Resume(ctx, sym, "dave", "ok")
	if err != nil || r.Lifted || r.Kill.ID != 2 {
		t.Fatalf("Resume after the new kill = %+v, %v; want a first approval of kill 2", r, err)
	}
	if got := s.Active(); len(got) != 1 || got[0].ID != 2 {
		t.Fatalf("Active = %v, want kill 2 alone", got)
	}
}

// TestRecordFailure: a kill whose record fails is in force all the same;
// an approval or resume whose record fails is refused.
func TestRecordFailure(t *testing.T) {
	disk := errors.New("disk full")
	rec := &recorder{fail: disk}
	s := killswitch.New(killswitch.Options{Record: rec.record})
	all := mustScope(t, "all")
	k, _, err := s.Kill(ctx, all, "alice", "halt")
	if !errors.Is(err, killswitch.ErrNotRecorded) || !errors.Is(err, disk) || k.ID != 1 {
		t.Fatalf("Kill with a failing record = %v, %v; want kill 1 and ErrNotRecorded", k, err)
	}
	if !stopped(s, "A", "S") {
		t.Fatal("a kill whose record failed is not in force")
	}
	if _, err := s.Resume(ctx, all, "bob", "ok"); !errors.Is(err, killswitch.ErrNotRecorded) {
		t.Fatalf("approval with a failing record: %v, want ErrNotRecorded", err)
	}
	rec.fail = nil
	s.Resume(ctx, all, "bob", "ok")
	rec.fail = disk
	if _, err := s.Resume(ctx, all, "carol", "ok"); !errors.Is(err, killswitch.ErrNotRecorded) {
		t.Fatalf("resume with a failing record: %v, want ErrNotRecorded", err)
	}
	if !stopped(s, "A", "S") {
		t.Fatal("a resume that was not recorded lifted the kill")
	}
}

// TestKillRaceFree: 32 goroutines pass orders through the switch while
// kills of account=K come and go; every order of K that finishes its
// "signing" (the span between Enter and Leave) after Kill returned is a
// violation. Run with more Ps than CPUs, so that goroutines are preempted
// between every step.
func TestKillRaceFree(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4 * runtime.NumCPU()))
	s := killswitch.New(killswitch.Options{})
	scope := mustScope(t, "account=K")
	var (
		acked      atomic.Bool // the kill has returned and not yet been lifted
		violations atomic.Int64
		signed     atomic.Int64
		stop       atomic.Bool
		wg         sync.WaitGroup
	)
	for g := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			account := []byte("K")
			if g%4 == 0 {
				account = []byte("OTHER")
			}
			for !stop.Load() {
				p, k := s.Enter(account, []byte("S"))
				if k != nil {
					runtime.Gosched() // a refused caller does something else
					continue
				}
				runtime.Gosched() // the signature
				if string(account) == "K" && acked.Load() {
					violations.Add(1)
				}
				signed.Add(1)
				p.Leave()
			}
		}()
	}
	var inFlight int64
	const rounds = 50
	for i := range rounds {
		for n := signed.Load(); signed.Load() < n+64; {
			runtime.Gosched()
		}
		_, eff, err := s.Kill(ctx, scope, "alice", "round")
		if err != nil {
			t.Fatal(err)
		}
		acked.Store(true)
		inFlight += eff.InFlight
		for n := s.Stats().Refused; s.Stats().Refused < n+8; {
			runtime.Gosched()
		}
		s.Resume(ctx, scope, "alice", "ok")
		acked.Store(false)
		if r, err := s.Resume(ctx, scope, "bob", "ok"); err != nil || !r.Lifted {
			t.Fatalf("round %d: Resume = %+v, %v", i, r, err)
		}
	}
	stop.Store(true)
	wg.Wait()
	if v := violations.Load(); v != 0 {
		t.Fatalf("%d orders of the killed account were signed after the kill returned", v)
	}
	st := s.Stats()
	t.Logf("%d kills, %d orders in flight when a kill was published (waited for), %d refused, take effect max %v", rounds, inFlight, st.Refused, st.TakeEffectMax)
	if st.Kills != rounds || st.Refused < 8*rounds {
		t.Fatalf("Stats = %+v", st)
	}
}

func TestEnterDoesNotAllocate(t *testing.T) {
	testenv.SkipAllocations(t)
	s := killswitch.New(killswitch.Options{})
	s.Kill(ctx, mustScope(t, "account=K"), "alice", "r")
	s.Kill(ctx, mustScope(t, "symbol=GME"), "alice", "r")
	acc, sym := []byte("ACC-1"), []byte("AAPL")
	if n := testing.AllocsPerRun(1000, func() {
		p, k := s.Enter(acc, sym)
		if k == nil {
			p.Leave()
		}
	}); n != 0 {
		t.Fatalf("Enter and Leave allocate %v times", n)
	}
}

// TestManyKills: kills of many accounts (past the few kept in a slice)
// each stop their own account's orders only, and lifting one leaves the
// others in force.
func TestManyKills(t *testing.T) {
	for _, n := range []int{1, 8, 9, 20} {
		s := killswitch.New(killswitch.Options{})
		for i := range n {
			s.Kill(ctx, killswitch.Scope{Kind: killswitch.Account, Value: fmt.Sprintf("ACC-%d", i)}, "alice", "r")
		}
		for i := range n {
			if !stopped(s, fmt.Sprintf("ACC-%d", i), "S") {
				t.Fatalf("%d kills: ACC-%d is not stopped", n, i)
			}
		}
		if stopped(s, fmt.Sprintf("ACC-%d", n), "S") || stopped(s, "ACC", "ACC-0") {
			t.Fatalf("%d kills: an account not killed is stopped", n)
		}
		sc := killswitch.Scope{Kind: killswitch.Account, Value: "ACC-0"}
		s.Resume(ctx, sc, "bob", "ok")
		if r, err := s.Resume(ctx, sc, "carol", "ok"); err != nil || !r.Lifted {
			t.Fatalf("%d kills: Resume = %+v, %v", n, r, err)
		}
		if stopped(s, "ACC-0", "S") || (n > 1 && !stopped(s, fmt.Sprintf("ACC-%d", n-1), "S")) || len(s.Active()) != n-1 {
			t.Fatalf("%d kills: after lifting ACC-0's kill, Active = %v", n, s.Active())
		}
	}
}

// FuzzParseEvent: ParseEvent never panics, and what it accepts encodes back
// to the same bytes (one encoding per event).
func FuzzParseEvent(f *testing.F) {
	for _, e := range []killswitch.Event{
		{Action: killswitch.ActionKill, Kill: 1, Scope: killswitch.Scope{Kind: killswitch.All}, Identity: "alice", Reason: "halt"},
		{Action: killswitch.ActionResume, Kill: 9, Scope: killswitch.Scope{Kind: killswitch.Symbol, Value: "GME"}, Identity: "CN=ops", Reason: "ok"},
	} {
		b, _ := e.AppendBinary(nil)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := killswitch.ParseEvent(b)
		if err != nil {
			if !errors.Is(err, killswitch.ErrInvalid) {
				t.Fatalf("ParseEvent error %v does not match ErrInvalid", err)
			}
			return
		}
		out, err := e.AppendBinary(nil)
		if err != nil || !bytes.Equal(out, b) {
			t.Fatalf("ParseEvent accepted %x as %v, which encodes as %x (%v)", b, e, out, err)
		}
	})
}

// TestRecordOneAtATime: under concurrent kills and resumes of many scopes,
// Record is never called concurrently, and each kill's event comes before
// the approval and resume events of that kill.
func TestRecordOneAtATime(t *testing.T) {
	var (
		busy    atomic.Bool
		overlap atomic.Int64
		mu      sync.Mutex
		seen    = map[uint64]bool{} // kill IDs whose kill event was recorded
		early   []killswitch.Event
	)
	s := killswitch.New(killswitch.Options{Record: func(_ context.Context, e killswitch.Event) error {
		if !busy.CompareAndSwap(false, true) {
			overlap.Add(1)
		}
		defer busy.Store(false)
		runtime.Gosched()
		mu.Lock()
		defer mu.Unlock()
		if e.Action == killswitch.ActionKill {
			seen[e.Kill] = true
		} else if !seen[e.Kill] {
			early = append(early, e)
		}
		return nil
	}})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sc := killswitch.Scope{Kind: killswitch.Symbol, Value: fmt.Sprintf("S%d", g%4)}
			for range 50 {
				s.Kill(ctx, sc, fmt.Sprintf("k%d", g), "r")
				s.Resume(ctx, sc, fmt.Sprintf("a%d", g), "r")
				s.Resume(ctx, sc, fmt.Sprintf("b%d", g), "r")
			}
		}()
	}
	wg.Wait()
	if n := overlap.Load(); n != 0 {
		t.Fatalf("Record was called %d times while another call ran", n)
	}
	if len(early) != 0 {
		t.Fatalf("recorded before their kill: %v", early)
	}
	if st := s.Stats(); st.Kills != 400 {
		t.Fatalf("Stats = %+v, want 400 kills", st)
	}
}

// TestStopsCountsNothing: Stops answers as Enter does, without counting a
// refusal or taking a pass.
func TestStopsCountsNothing(t *testing.T) {
	s := killswitch.New(killswitch.Options{})
	s.Kill(ctx, mustScope(t, "symbol=GME"), "alice", "r")
	if k := s.Stops([]byte("A"), []byte("GME")); k == nil || k.ID != 1 {
		t.Fatalf("Stops(A, GME) = %v, want kill 1", k)
	}
	if k := s.Stops([]byte("A"), []byte("AAPL")); k != nil {
		t.Fatalf("Stops(A, AAPL) = %v, want nil", k)
	}
	if st := s.Stats(); st.Refused != 0 {
		t.Fatalf("Stops counted %d refusals", st.Refused)
	}
}

// TestWitnessFailure: an event recorded but not witnessed takes effect
// all the same; the call says so.
func TestWitnessFailure(t *testing.T) {
	down := errors.New("checkpoint key down")
	rec := &recorder{}
	s := killswitch.New(killswitch.Options{Record: rec.record, Witness: func(context.Context) error { return down }})
	all := mustScope(t, "all")
	k, _, err := s.Kill(ctx, all, "alice", "halt")
	if !errors.Is(err, killswitch.ErrNotWitnessed) || !errors.Is(err, down) || errors.Is(err, killswitch.ErrNotRecorded) || k.ID != 1 {
		t.Fatalf("Kill = %v, %v; want kill 1 and ErrNotWitnessed", k, err)
	}
	if !stopped(s, "A", "S") {
		t.Fatal("a kill that was not witnessed is not in force")
	}
	r, err := s.Resume(ctx, all, "bob", "ok")
	if !errors.Is(err, killswitch.ErrNotWitnessed) || r.Lifted || len(r.Approvers) != 1 {
		t.Fatalf("approval = %+v, %v; want the approval and ErrNotWitnessed", r, err)
	}
	r, err = s.Resume(ctx, all, "carol", "ok")
	if !errors.Is(err, killswitch.ErrNotWitnessed) || !r.Lifted {
		t.Fatalf("resume = %+v, %v; want lifted and ErrNotWitnessed", r, err)
	}
	if stopped(s, "A", "S") || len(rec.actions()) != 3 {
		t.Fatalf("after the resume: stopped %v, recorded %q", stopped(s, "A", "S"), rec.actions())
	}
}
