package service_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tinywindow/tinywindow/api/signerpb"
	"github.com/tinywindow/tinywindow/execadapter/audit"
	"github.com/tinywindow/tinywindow/execadapter/killswitch"
	"github.com/tinywindow/tinywindow/execadapter/order"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/service"
)

// killClients are two clients of the kill switch: risk-a may kill and
// resume, risk-b may only resume.
const killClients = "  - identity: risk-a\n    keys: ['*']\n    operations: [Kill, Resume]\n" +
	"  - identity: risk-b\n    keys: ['*']\n    operations: [Resume]\n"

// killAuditSigner is the checkpoint key of the kill tests' audit logs.
const killAuditSigner = "hmac:seed=9"

type killEnv struct {
	*env
	log                  string // the audit log's path
	trader, riskA, riskB signerpb.SignerClient
}

// newKillEnv starts a service with an orders key (keys, or one without
// limits), the clients trader, risk-a and risk-b, and an audit log in a
// fresh directory.
func newKillEnv(t testing.TB, keys string) *killEnv {
	t.Helper()
	if keys == "" {
		keys = "  orders: {uri: 'hmac:seed=2', purpose: orders, max-skew: 1h}\n"
	}
	log := filepath.Join(t.TempDir(), "audit.log")
	e := newEnv(t, keys, killClients, "audit:\n  path: '"+log+"'\n  checkpoint-signer: '"+killAuditSigner+"'\n")
	ke := &killEnv{env: e, log: log}
	ke.trader = signerpb.NewSignerClient(e.ca.Conn(t, e.addr, e.trader))
	ke.riskA = signerpb.NewSignerClient(e.ca.Conn(t, e.addr, e.ca.Client(t, "risk-a")))
	ke.riskB = signerpb.NewSignerClient(e.ca.Conn(t, e.addr, e.ca.Client(t, "risk-b")))
	return ke
}

// killOrder returns a fresh order of account and symbol.
func killOrder(t testing.TB, id, account, symbol string) []byte {
	t.Helper()
	o := order.Order{ClientOrderID: id, Account: account, Symbol: symbol, Side: order.Buy, Type: order.Market,
		Quantity: 1, TimeInForce: order.IOC, Timestamp: time.Now().UnixNano()}
	b, err := o.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// killedBy returns the kill ID of a SignOrder refused under a kill, or ""
// if err is not such a refusal.
func killedBy(err error) string {
	st, _ := status.FromError(err)
	if st.Code() != codes.FailedPrecondition {
		return ""
	}
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok && info.Reason == service.KillReason {
			return info.Metadata["kill"]
		}
	}
	return ""
}

// verifyAudit verifies the audit log at path with the checkpoint key and
// returns its report; the log must end with a checkpoint covering every
// record before it.
func verifyAudit(t testing.TB, path string) *audit.Report {
	t.Helper()
	kr, err := provider.NewKeyring(openLocal(t, killAuditSigner))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := audit.VerifyFile(context.Background(), path, kr)
	if err != nil {
		t.Fatalf("audit log: %v", err)
	}
	return rep
}

// TestKillRace: 32 goroutines (on however few CPUs) sign orders through
// the service, half in the scope of the kill and half out of it, while a
// client kills account=ACC-K. No order in scope whose SignOrder was sent
// after the Kill RPC returned is signed; the orders out of scope go on
// being signed. The test logs how many orders the kill found in flight,
// with a local key and with one that is slow to sign.
func TestKillRace(t *testing.T) {
	for _, tc := range []struct{ name, uri string }{
		{"local key", "hmac:seed=2"},
		// A key that takes a while to sign leaves orders in flight when the
		// kill is published; the Kill RPC's answer waits for them.
		{"slow key", "slowtest:seed=2;delay=2ms"},
	} {
		t.Run(tc.name, func(t *testing.T) { testKillRace(t, tc.uri) })
	}
}

func testKillRace(t *testing.T, uri string) {
	e := newKillEnv(t, "  orders: {uri: '"+uri+"', purpose: orders, max-skew: 1h}\n")
	ctx := context.Background()
	const goroutines = 32
	var (
		killed    atomic.Bool  // set once the Kill RPC has returned
		signed    atomic.Int64 // orders signed before the kill returned
		after     atomic.Int64 // orders in scope sent after the kill returned and signed: must stay 0
		refused   atomic.Int64 // orders in scope sent after the kill returned and refused
		outsideOK atomic.Int64 // orders out of scope signed after the kill returned
		stop      atomic.Bool
		wg        sync.WaitGroup
	)
	errs := make(chan error, goroutines)
	for g := range goroutines {
		account := "ACC-K"
		if g%2 == 1 {
			account = "ACC-OTHER"
		}
		wg.Go(func() {
			for i := 0; !stop.Load(); i++ {
				ord := killOrder(t, fmt.Sprintf("k-%d-%d", g, i), account, "AAPL")
				sentAfter := killed.Load()
				_, err := e.trader.SignOrder(ctx, &signerpb.SignOrderRequest{Key: "orders", Order: ord})
				switch {
				case err == nil && !sentAfter:
					signed.Add(1)
				case err == nil && account == "ACC-K":
					after.Add(1)
				case err == nil:
					outsideOK.Add(1)
				case killedBy(err) != "" && account == "ACC-K":
					if sentAfter {
						refused.Add(1)
					}
				default:
					errs <- fmt.Errorf("goroutine %d order %d (%s): %v", g, i, account, err)
					return
				}
			}
		})
	}
	// Kill while the signers are busy: after some orders are signed.
	for signed.Load() < 4*goroutines && len(errs) == 0 {
		time.Sleep(time.Millisecond)
	}
	resp, err := e.riskA.Kill(ctx, &signerpb.KillRequest{Scope: "account=ACC-K", Reason: "runaway algo"})
	if err != nil {
		t.Fatal(err)
	}
	killed.Store(true)
	// Let every goroutine send orders after the kill returned.
	for (refused.Load() < 4*goroutines || outsideOK.Load() < 4*goroutines) && len(errs) == 0 {
		time.Sleep(time.Millisecond)
	}
	stop.Store(true)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := after.Load(); n != 0 {
		t.Fatalf("%d orders in scope sent after the Kill RPC returned were signed", n)
	}
	if !resp.GetRecorded() || resp.GetIdentity() != "cn:risk-a" || resp.GetScope() != "account=ACC-K" {
		t.Errorf("kill response %v: want recorded, identity cn:risk-a, scope account=ACC-K", resp)
	}
	t.Logf("kill %d: %d orders in flight when it was published, took %v; %d signed before it, %d in scope refused and %d out of scope signed after it",
		resp.GetKillId(), resp.GetInFlight(), time.Duration(resp.GetTookNanos()), signed.Load(), refused.Load(), outsideOK.Load())
}

// TestKillFourEyesResume: a kill is lifted only by two different client
// certificates holding Resume; the same identity twice is refused and the
// kill stays in force; each event is in the audit log, which verifies with
// a checkpoint after each, under the caller's certificate identity.
func TestKillFourEyesResume(t *testing.T) {
	e := newKillEnv(t, "")
	ctx := context.Background()
	sign := func() error {
		_, err := e.trader.SignOrder(ctx, &signerpb.SignOrderRequest{Key: "orders", Order: killOrder(t, "c-1", "ACC-1", "AAPL")})
		return err
	}
	if err := sign(); err != nil {
		t.Fatal(err)
	}
	k, err := e.riskA.Kill(ctx, &signerpb.KillRequest{Scope: "all", Reason: "venue outage"})
	if err != nil {
		t.Fatal(err)
	}
	if got := verifyAudit(t, e.log); len(got.Kills) != 1 {
		t.Fatalf("after the kill, the audit log holds %d kill records, want 1", len(got.Kills))
	}
	steps := []struct {
		name       string
		c          signerpb.SignerClient
		code       codes.Code
		lifted     bool
		kills      int // kill records in the audit log after the step
		signsAfter bool
	}{
		{"first approval", e.riskA, codes.OK, false, 2, false},
		{"same identity again", e.riskA, codes.FailedPrecondition, false, 2, false},
		{"second identity", e.riskB, codes.OK, true, 3, true},
		{"nothing left to resume", e.riskB, codes.FailedPrecondition, false, 3, true},
	}
	for _, s := range steps {
		r, err := s.c.Resume(ctx, &signerpb.ResumeRequest{Scope: "all", Reason: "venue back"})
		if status.Code(err) != s.code || r.GetLifted() != s.lifted {
			t.Fatalf("%s: %v, lifted %v; want %v, lifted %v", s.name, err, r.GetLifted(), s.code, s.lifted)
		}
		if s.code == codes.OK && (r.GetKillId() != k.GetKillId() || !r.GetRecorded()) {
			t.Errorf("%s: %v; want kill %d, recorded", s.name, r, k.GetKillId())
		}
		err = sign()
		if got := killedBy(err); s.signsAfter && err != nil || !s.signsAfter && got != fmt.Sprint(k.GetKillId()) {
			t.Fatalf("%s: SignOrder after it: %v", s.name, err)
		}
		rep := verifyAudit(t, e.log)
		if len(rep.Kills) != s.kills {
			t.Fatalf("%s: the audit log holds %d kill records, want %d", s.name, len(rep.Kills), s.kills)
		}
	}
	rep := verifyAudit(t, e.log)
	want := []struct {
		action   killswitch.Action
		identity string
	}{{killswitch.ActionKill, "cn:risk-a"}, {killswitch.ActionApprove, "cn:risk-a"}, {killswitch.ActionResume, "cn:risk-b"}}
	for i, w := range want {
		ev := rep.Kills[i]
		if ev.Action != w.action || ev.Identity != w.identity || ev.Scope != (killswitch.Scope{Kind: killswitch.All}) || ev.Kill != k.GetKillId() {
			t.Errorf("audit event %d: %+v; want %v by %s of kill %d", i, ev, w.action, w.identity, k.GetKillId())
		}
	}
}

// TestKillRefusals: a client without the permission, a malformed or empty
// scope, an empty reason and an account the limits let no order of trade
// are refused, and nothing is killed.
func TestKillRefusals(t *testing.T) {
	path, _ := writeLimits(t, t.TempDir(), "limits.yaml", "credit_limits: {accounts: {ACC-1: \"1000000\"}}\nreference_prices: {AAPL: \"100\"}\n")
	e := newKillEnv(t, limitsKeys(path))
	ctx := context.Background()
	tests := []struct {
		name   string
		c      signerpb.SignerClient
		resume bool
		scope  string
		reason string
		code   codes.Code
	}{
		{"kill without the permission", e.trader, false, "all", "r", codes.PermissionDenied},
		{"kill with resume only", e.riskB, false, "all", "r", codes.PermissionDenied},
		{"resume without the permission", e.trader, true, "all", "r", codes.PermissionDenied},
		{"empty scope", e.riskA, false, "", "r", codes.InvalidArgument},
		{"unknown kind", e.riskA, false, "desk=7", "r", codes.InvalidArgument},
		{"empty account", e.riskA, false, "account=", "r", codes.InvalidArgument},
		{"all with a value", e.riskA, false, "all=1", "r", codes.InvalidArgument},
		{"unknown account", e.riskA, false, "account=ACC-TYPO", "r", codes.InvalidArgument},
		{"empty reason", e.riskA, false, "all", "", codes.InvalidArgument},
		{"resume of no kill", e.riskA, true, "all", "r", codes.FailedPrecondition},
		{"resume with an empty scope", e.riskA, true, "", "r", codes.InvalidArgument},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			if tc.resume {
				_, err = tc.c.Resume(ctx, &signerpb.ResumeRequest{Scope: tc.scope, Reason: tc.reason})
			} else {
				_, err = tc.c.Kill(ctx, &signerpb.KillRequest{Scope: tc.scope, Reason: tc.reason})
			}
			if status.Code(err) != tc.code {
				t.Fatalf("%v; want %v", err, tc.code)
			}
			if _, err := e.trader.SignOrder(ctx, &signerpb.SignOrderRequest{Key: "orders", Order: killOrder(t, "c-"+tc.name, "ACC-1", "AAPL")}); err != nil {
				t.Fatalf("SignOrder after a refused kill: %v", err)
			}
		})
	}
	if _, err := e.riskA.Kill(ctx, &signerpb.KillRequest{Scope: "account=ACC-1", Reason: "known account"}); err != nil {
		t.Fatalf("kill of an account the limits know: %v", err)
	}
}

// TestKillConfig: a client allowed Kill or Resume needs an audit section,
// and the audit section needs a path and a checkpoint key.
func TestKillConfig(t *testing.T) {
	tests := []struct {
		name, extra, want string
	}{
		{"kill without audit", "  - identity: risk\n    keys: ['*']\n    operations: [Kill]\n", "no audit section"},
		{"resume without audit", "  - identity: risk\n    keys: ['*']\n    operations: [Resume]\n", "no audit section"},
		{"audit without path", "audit:\n  checkpoint-signer: 'hmac:seed=9'\n", "path is empty"},
		{"audit without key", "audit:\n  path: /tmp/x.log\n", "checkpoint-signer is empty"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			y := "listen: 127.0.0.1:0\nkeys:\n  orders: {uri: 'hmac:seed=2', purpose: orders}\nclients:\n  - identity: trader\n    keys: ['*']\n    operations: [sign]\n" + tc.extra
			_, err := service.ParseConfig([]byte(y))
			if !errors.Is(err, provider.ErrInvalidConfig) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("%v; want ErrInvalidConfig saying %q", err, tc.want)
			}
		})
	}
}

// TestKillMetrics: the Prometheus endpoint counts kills, resumes and the
// orders refused under a kill.
func TestKillMetrics(t *testing.T) {
	e := newKillEnv(t, "")
	ctx := context.Background()
	hs := httptest.NewServer(e.srv.MetricsHandler())
	defer hs.Close()
	if _, err := e.riskA.Kill(ctx, &signerpb.KillRequest{Scope: "symbol=AAPL", Reason: "fat finger"}); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := e.trader.SignOrder(ctx, &signerpb.SignOrderRequest{Key: "orders", Order: killOrder(t, fmt.Sprint("m-", i), "ACC-1", "AAPL")}); killedBy(err) == "" {
			t.Fatalf("order %d under the kill: %v", i, err)
		}
	}
	for _, c := range []signerpb.SignerClient{e.riskA, e.riskB} {
		if _, err := c.Resume(ctx, &signerpb.ResumeRequest{Scope: "symbol=AAPL", Reason: "fixed"}); err != nil {
			t.Fatal(err)
		}
	}
	for name, want := range map[string]float64{
		"tinywindow_service_kill_kills_total":   1,
		"tinywindow_service_kill_refused_total": 3,
		"tinywindow_service_kill_resumes_total": 1,
	} {
		if got := scrape(t, hs.URL, name); got != want {
			t.Errorf("%s = %v, want %v\n%s", name, got, want, scrapeText(t, hs.URL))
		}
	}
}

// TestKillAuditFixedAtStart: a reload that changes or drops the audit
// section is refused, and the kill switch keeps recording in the log it
// started with.
func TestKillAuditFixedAtStart(t *testing.T) {
	e := newKillEnv(t, "")
	ctx := context.Background()
	keys := "  orders: {uri: 'hmac:seed=2', purpose: orders, max-skew: 1h}\n"
	for name, extra := range map[string]string{
		"another log": "audit:\n  path: '" + filepath.Join(t.TempDir(), "other.log") + "'\n  checkpoint-signer: '" + killAuditSigner + "'\n",
		"another key": "audit:\n  path: '" + e.log + "'\n  checkpoint-signer: 'hmac:seed=10'\n",
	} {
		if err := e.srv.Reload(ctx, e.config(t, keys, killClients, extra)); !errors.Is(err, provider.ErrInvalidConfig) {
			t.Errorf("reload with %s: %v; want ErrInvalidConfig", name, err)
		}
	}
	if _, err := e.riskA.Kill(ctx, &signerpb.KillRequest{Scope: "all", Reason: "after the reloads"}); err != nil {
		t.Fatal(err)
	}
	if rep := verifyAudit(t, e.log); len(rep.Kills) != 1 {
		t.Fatalf("the audit log holds %d kill records, want 1", len(rep.Kills))
	}
}

// TestKillDuringLimitsReload: kills live apart from the limits. A kill made
// while the orders key's limits are reloaded again and again stays in force
// through every reload, and no order in its scope is signed after the Kill
// returned; orders out of its scope are still judged by the limits.
func TestKillDuringLimitsReload(t *testing.T) {
	dir := t.TempDir()
	path, _ := writeLimits(t, dir, "limits.yaml", "max_quantity: 1000\ncredit_limits: {default: \"1000000000\"}\nreference_prices: {AAPL: \"100\"}\n")
	e := newKillEnv(t, limitsKeys(path))
	ctx := context.Background()
	audit := "audit:\n  path: '" + e.log + "'\n  checkpoint-signer: '" + killAuditSigner + "'\n"
	stop := make(chan struct{})
	var reloads atomic.Int64
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			writeLimits(t, dir, "limits.yaml", fmt.Sprintf("max_quantity: %d\ncredit_limits: {default: \"1000000000\"}\nreference_prices: {AAPL: \"100\"}\n", 1000+i%2))
			if err := e.srv.Reload(ctx, e.config(t, limitsKeys(path), killClients, audit)); err != nil {
				t.Errorf("reload %d: %v", i, err)
				return
			}
			reloads.Add(1)
		}
	})
	defer func() { close(stop); wg.Wait() }()
	for reloads.Load() < 3 {
		time.Sleep(time.Millisecond)
	}
	k, err := e.riskA.Kill(ctx, &signerpb.KillRequest{Scope: "account=ACC-1", Reason: "runaway algo"})
	if err != nil {
		t.Fatal(err)
	}
	atKill := reloads.Load()
	for i := 0; reloads.Load() < atKill+5 || i < 20; i++ {
		_, err := e.trader.SignOrder(ctx, &signerpb.SignOrderRequest{Key: "orders", Order: killOrder(t, fmt.Sprintf("k-%d", i), "ACC-1", "AAPL")})
		if got := killedBy(err); got != fmt.Sprint(k.GetKillId()) {
			t.Fatalf("order %d of the killed account, %d reloads after the kill: %v; want refused by kill %d", i, reloads.Load()-atKill, err, k.GetKillId())
		}
		if _, err := e.trader.SignOrder(ctx, &signerpb.SignOrderRequest{Key: "orders", Order: killOrder(t, fmt.Sprintf("o-%d", i), "ACC-2", "AAPL")}); err != nil {
			t.Fatalf("order %d of another account: %v", i, err)
		}
	}
}
