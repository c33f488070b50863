package service_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tinywindow/tinywindow/api/signerpb"
	"github.com/tinywindow/tinywindow/execadapter/order"
	"github.com/tinywindow/tinywindow/execadapter/risk"
	"github.com/tinywindow/tinywindow/execadapter/venue"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/service"
	"github.com/tinywindow/tinywindow/service/servicetest"
)

// logBuffer is the service's log, kept in memory for a test to read.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// writeLimits writes a limits file in dir and returns its path and the
// SHA-256 of its canonical snapshot.
func writeLimits(t testing.TB, dir, name, yaml string) (string, [32]byte) {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := risk.LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	h, err := cfg.Hash()
	if err != nil {
		t.Fatal(err)
	}
	return path, h
}

// limitsKeys is a keys section with one orders key (hmac:seed=2) whose
// limits file is path.
func limitsKeys(path string) string {
	return "  orders: {uri: 'hmac:seed=2', purpose: orders, max-skew: 1h, limits: '" + path + "'}\n"
}

// gatewayClient adds a second client, gateway, allowed SignOrder only.
const gatewayClient = "  - identity: gateway\n    keys: [orders]\n    operations: [SignOrder]\n"

type limitsEnv struct {
	*env
	log     *logBuffer
	trader  signerpb.SignerClient
	gateway signerpb.SignerClient
}

// newLimitsEnv starts a service whose orders key has the limits file path,
// with two clients, trader and gateway, and a log kept in memory.
func newLimitsEnv(t testing.TB, path string) *limitsEnv {
	t.Helper()
	ca := servicetest.NewCA(t, "test CA")
	e := &env{ca: ca, server: ca.Server(t), trader: ca.Client(t, "trader")}
	log := &logBuffer{}
	logger := slog.New(slog.NewTextHandler(lockedWriter{&log.mu, &log.b}, nil))
	e.srv, e.addr = servicetest.Start(t, e.config(t, limitsKeys(path), gatewayClient), service.Options{Logger: logger})
	return &limitsEnv{env: e, log: log,
		trader:  signerpb.NewSignerClient(ca.Conn(t, e.addr, e.trader)),
		gateway: signerpb.NewSignerClient(ca.Conn(t, e.addr, ca.Client(t, "gateway")))}
}

// limitOrder returns a canonical limit order made now, of account acct,
// quantity qty at price, with time in force tif.
func limitOrder(t testing.TB, id, acct string, qty int64, price string, tif order.TimeInForce) []byte {
	t.Helper()
	p, err := order.ParsePrice(price)
	if err != nil {
		t.Fatal(err)
	}
	o := order.Order{ClientOrderID: id, Account: acct, Symbol: "AAPL", Side: order.Buy, Type: order.Limit,
		Quantity: qty, Price: p, TimeInForce: tif, Timestamp: time.Now().UnixNano()}
	b, err := o.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// rejectedRule returns the rule and limits hash of a SignOrder refused by a
// pre-trade check, and fails the test if err is not such a refusal.
func rejectedRule(t testing.TB, err error) (risk.Rule, string) {
	t.Helper()
	st, _ := status.FromError(err)
	if st.Code() != codes.FailedPrecondition {
		t.Fatalf("SignOrder: %v; want FAILED_PRECONDITION", err)
	}
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok && info.GetReason() == service.RejectionReason {
			return risk.Rule(info.GetMetadata()["rule"]), info.GetMetadata()["limits_sha256"]
		}
	}
	t.Fatalf("SignOrder refusal %v has no ErrorInfo %s", err, service.RejectionReason)
	return "", ""
}

// signCall is one SignOrder of a test: by which client, what order, and
// the rule expected to refuse it ("" to have it signed).
type signCall struct {
	client string // "trader" or "gateway"
	order  func(t testing.TB) []byte
	rule   risk.Rule
}

// TestSignOrderPreTradeChecks: each rule wired into SignOrder refuses an
// order with FAILED_PRECONDITION naming the rule and returns no envelope;
// credit and throttle count per account across two clients.
func TestSignOrderPreTradeChecks(t *testing.T) {
	ord := func(id, acct string, qty int64, price string, tif order.TimeInForce) func(testing.TB) []byte {
		return func(t testing.TB) []byte { return limitOrder(t, id, acct, qty, price, tif) }
	}
	tests := []struct {
		name   string
		limits string
		calls  []signCall
	}{
		{"max quantity", "max_quantity: 1000\n", []signCall{
			{"trader", ord("q-1", "ACC-1", 1000, "1", order.Day), ""},
			{"trader", ord("q-2", "ACC-1", 1001, "1", order.Day), risk.RuleMaxQuantity},
		}},
		{"max notional", "max_notional: \"100000\"\n", []signCall{
			{"trader", ord("n-1", "ACC-1", 10, "10000", order.Day), ""},
			{"gateway", ord("n-2", "ACC-1", 10, "10000.01", order.Day), risk.RuleMaxNotional},
		}},
		{"credit across two clients", "credit_limits: {default: \"1000\"}\n", []signCall{
			{"trader", ord("c-1", "ACC-1", 6, "100", order.Day), ""},
			{"gateway", ord("c-2", "ACC-1", 6, "100", order.Day), risk.RuleCreditLimit}, // 600 + 600 > 1000
			{"gateway", ord("c-3", "ACC-2", 6, "100", order.Day), ""},                   // another account
			{"gateway", ord("c-4", "ACC-1", 4, "100", order.Day), ""},                   // 600 + 400 = 1000
			{"trader", ord("c-5", "ACC-1", 1, "0.01", order.IOC), risk.RuleCreditLimit},
		}},
		{"IOC credit is released once signed", "credit_limits: {default: \"1000\"}\n", []signCall{
			{"trader", ord("i-1", "ACC-1", 10, "100", order.IOC), ""},
			{"gateway", ord("i-2", "ACC-1", 10, "100", order.FOK), ""},
			{"gateway", ord("i-3", "ACC-1", 10, "100", order.Day), ""},
			{"trader", ord("i-4", "ACC-1", 10, "100", order.IOC), risk.RuleCreditLimit},
		}},
		{"duplicate client order ID across two clients", "duplicates: {window: 1h, capacity: 16}\n", []signCall{
			{"trader", ord("d-1", "ACC-1", 1, "1", order.Day), ""},
			{"gateway", ord("d-1", "ACC-1", 1, "1", order.Day), risk.RuleDuplicate},
		}},
		{"kill switch in the limits file", "kill_switch: true\n", []signCall{
			{"trader", ord("k-1", "ACC-1", 1, "1", order.Day), risk.RuleKillSwitch},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path, hash := writeLimits(t, t.TempDir(), "limits.yaml", tt.limits)
			e := newLimitsEnv(t, path)
			for i, c := range tt.calls {
				cl := e.trader
				if c.client == "gateway" {
					cl = e.gateway
				}
				resp, err := cl.SignOrder(context.Background(), &signerpb.SignOrderRequest{Key: "orders", Order: c.order(t)})
				if c.rule == "" {
					if err != nil {
						t.Fatalf("call %d by %s: %v; want signed", i, c.client, err)
					}
					continue
				}
				if resp != nil {
					t.Fatalf("call %d by %s: signed %x; want refused by %s", i, c.client, resp.GetEnvelope(), c.rule)
				}
				rule, h := rejectedRule(t, err)
				if rule != c.rule || h != hex.EncodeToString(hash[:]) {
					t.Fatalf("call %d by %s: refused by %s under limits %s; want %s under %x", i, c.client, rule, h, c.rule, hash)
				}
			}
		})
	}
}

// TestSignOrderThrottleAcrossClients: the throttle counts the orders of
// both clients together. With a burst of 3 at 1 order a second, two clients
// alternating 8 orders get at most 3 plus one per second elapsed signed; a
// throttle per client would sign all 8 within the first second.
func TestSignOrderThrottleAcrossClients(t *testing.T) {
	path, _ := writeLimits(t, t.TempDir(), "limits.yaml", "throttle: {orders_per_second: 1, burst: 3}\n")
	e := newLimitsEnv(t, path)
	start := time.Now()
	var signed, throttled int
	for i := range 8 {
		cl := e.trader
		if i%2 == 1 {
			cl = e.gateway
		}
		_, err := cl.SignOrder(context.Background(), &signerpb.SignOrderRequest{Key: "orders",
			Order: limitOrder(t, fmt.Sprintf("t-%d", i), "ACC-1", 1, "1", order.Day)})
		if err == nil {
			signed++
			continue
		}
		if rule, _ := rejectedRule(t, err); rule != risk.RuleThrottle {
			t.Fatalf("order %d refused by %s; want %s", i, rule, risk.RuleThrottle)
		}
		throttled++
	}
	// GCRA: a burst of 3, then one order per second; +1 for the edge.
	allowed := 3 + int(time.Since(start)/time.Second) + 1
	if signed < 3 || signed > allowed {
		t.Fatalf("%d of 8 orders signed, %d throttled; want 3 to %d", signed, throttled, allowed)
	}
}

// TestSignOrderLimitsEnvelope: an order the checks pass is signed in a
// version 3 envelope carrying the SHA-256 of the limits file's canonical
// snapshot, which a venue verifies and accepts.
func TestSignOrderLimitsEnvelope(t *testing.T) {
	path, hash := writeLimits(t, t.TempDir(), "limits.yaml", "max_quantity: 1000\n")
	e := newLimitsEnv(t, path)
	ctx := context.Background()
	resp, err := e.gateway.SignOrder(ctx, &signerpb.SignOrderRequest{Key: "orders", Order: limitOrder(t, "v-1", "ACC-1", 10, "1", order.Day)})
	if err != nil {
		t.Fatal(err)
	}
	var env venue.Envelope
	if err := venue.ParseEnvelope(resp.GetEnvelope(), &env); err != nil {
		t.Fatal(err)
	}
	if env.Version != venue.LimitsEnvelopeVersion || !bytes.Equal(env.Limits, hash[:]) {
		t.Fatalf("envelope version %d, limits %x; want %d, %x", env.Version, env.Limits, venue.LimitsEnvelopeVersion, hash)
	}
	keys, err := provider.NewKeyring(openLocal(t, "hmac:seed=2"))
	if err != nil {
		t.Fatal(err)
	}
	sim, err := venue.NewSim(venue.SimOptions{Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	if ack, err := sim.Submit(ctx, resp.GetEnvelope(), nil); err != nil || ack.Status != venue.Accepted {
		t.Fatalf("venue: %+v, %v; want accepted", ack, err)
	}
	if !strings.Contains(e.log.String(), "sha256="+hex.EncodeToString(hash[:])) {
		t.Errorf("start log names no limits hash %x:\n%s", hash, e.log.String())
	}
}

// signedHash signs a fresh order through c and returns its envelope's
// limits hash.
func signedHash(t testing.TB, c signerpb.SignerClient, id, acct string, qty int64) []byte {
	t.Helper()
	resp, err := c.SignOrder(context.Background(), &signerpb.SignOrderRequest{Key: "orders", Order: limitOrder(t, id, acct, qty, "1", order.Day)})
	if err != nil {
		t.Fatal(err)
	}
	var env venue.Envelope
	if err := venue.ParseEnvelope(resp.GetEnvelope(), &env); err != nil {
		t.Fatal(err)
	}
	return env.Limits
}

// TestReloadLimits: a changed limits file, after a reload, gives the next
// envelope the new hash and is logged with it; credit counted before the
// reload still counts; a limits file that does not load leaves the old
// limits in force and Reload says why, naming the file.
func TestReloadLimits(t *testing.T) {
	dir := t.TempDir()
	path, h1 := writeLimits(t, dir, "limits.yaml", "max_quantity: 1000\ncredit_limits: {default: \"1000\"}\n")
	e := newLimitsEnv(t, path)
	ctx := context.Background()
	if got := signedHash(t, e.trader, "r-1", "ACC-1", 600); !bytes.Equal(got, h1[:]) {
		t.Fatalf("first envelope's hash %x; want %x", got, h1)
	}
	_, h2 := writeLimits(t, dir, "limits.yaml", "max_quantity: 999\ncredit_limits: {default: \"1000\"}\n")
	if h2 == h1 {
		t.Fatal("a changed max_quantity kept the hash")
	}
	if err := e.srv.Reload(ctx, e.config(t, limitsKeys(path), gatewayClient)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(e.log.String(), `msg="limits reloaded" key=orders sha256=`+hex.EncodeToString(h2[:])) {
		t.Errorf("log has no limits reloaded line with %x:\n%s", h2, e.log.String())
	}
	if got := signedHash(t, e.gateway, "r-2", "ACC-1", 400); !bytes.Equal(got, h2[:]) {
		t.Fatalf("envelope after reload has hash %x; want %x", got, h2)
	}
	// 600 + 400 reserved across the reload: the credit is used up.
	_, err := e.trader.SignOrder(ctx, &signerpb.SignOrderRequest{Key: "orders", Order: limitOrder(t, "r-3", "ACC-1", 1, "1", order.Day)})
	if rule, _ := rejectedRule(t, err); rule != risk.RuleCreditLimit {
		t.Fatalf("after reload: refused by %s; want %s (credit counted before the reload)", rule, risk.RuleCreditLimit)
	}

	for _, tc := range []struct{ name, content, want string }{
		{"invalid limit", "max_quantity: -5\n", "max_quantity"},
		{"unknown field", "max_quantiy: 5\n", "max_quantiy"},
		{"not YAML", "{{{", "invalid risk configuration"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.WriteFile(path, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			err := e.srv.Reload(ctx, e.config(t, limitsKeys(path), gatewayClient))
			if !errors.Is(err, provider.ErrInvalidConfig) || !errors.Is(err, risk.ErrConfig) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Reload with a bad limits file: %v; want ErrInvalidConfig naming %s and %q", err, path, tc.want)
			}
			if got := signedHash(t, e.trader, "r-"+tc.name, "ACC-2", 1); !bytes.Equal(got, h2[:]) {
				t.Fatalf("after a failed reload the hash is %x; want the old %x", got, h2)
			}
		})
	}
	missing := filepath.Join(dir, "missing.yaml")
	if err := e.srv.Reload(ctx, e.config(t, limitsKeys(missing), gatewayClient)); !errors.Is(err, provider.ErrInvalidConfig) || !strings.Contains(err.Error(), missing) {
		t.Fatalf("Reload with a missing limits file: %v; want ErrInvalidConfig naming it", err)
	}
}

// TestLimitsRefusedAtStart: a limits file that does not load stops the
// service from starting, and limits on a key of another purpose are a
// configuration error.
func TestLimitsRefusedAtStart(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("max_quantity: 0\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ca := servicetest.NewCA(t, "test CA")
	e := &env{ca: ca, server: ca.Server(t), trader: ca.Client(t, "trader")}
	for _, path := range []string{bad, filepath.Join(dir, "missing.yaml")} {
		srv, err := service.New(context.Background(), e.config(t, limitsKeys(path)), service.Options{})
		if err == nil {
			srv.Shutdown(context.Background())
			t.Fatalf("New with limits %s started", path)
		}
		if !errors.Is(err, provider.ErrInvalidConfig) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "keys.orders") {
			t.Errorf("New with limits %s: %v; want ErrInvalidConfig naming keys.orders and the file", path, err)
		}
	}
	y := "listen: 127.0.0.1:0\nkeys:\n  raw: {uri: 'hmac:seed=1', limits: /x.yaml}\nclients:\n  - identity: a\n    keys: [raw]\n    operations: [sign]\n"
	if _, err := service.ParseConfig([]byte(y)); !errors.Is(err, provider.ErrInvalidConfig) || !strings.Contains(err.Error(), "limits is only for a key of purpose orders") {
		t.Errorf("limits on a raw key: %v", err)
	}
}

// TestReloadLimitsAtomic: while limits files alternate between
// max_quantity 100 and 200 by reload, 32 goroutines (on 4× as many Ps as
// CPUs) sign orders of quantity 150. Each order is judged by one snapshot:
// a signed one carries the hash of max_quantity 200, a refused one names
// the hash of max_quantity 100, never the other way round.
func TestReloadLimitsAtomic(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4 * runtime.NumCPU()))
	dir := t.TempDir()
	low, hLow := writeLimits(t, dir, "low.yaml", "max_quantity: 100\n")
	high, hHigh := writeLimits(t, dir, "high.yaml", "max_quantity: 200\n")
	e := newLimitsEnv(t, low)
	ctx := context.Background()
	cfgs := []*service.Config{e.config(t, limitsKeys(high), gatewayClient), e.config(t, limitsKeys(low), gatewayClient)}
	stop := make(chan struct{})
	reloads := make(chan int)
	go func() {
		n := 0
		defer func() { reloads <- n }()
		for ; ; n++ {
			select {
			case <-stop:
				return
			default:
			}
			if err := e.srv.Reload(ctx, cfgs[n%2]); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	const goroutines, calls = 32, 25
	var wg sync.WaitGroup
	var mu sync.Mutex
	var signed, refused int
	for g := range goroutines {
		cl := e.trader
		if g%2 == 1 {
			cl = e.gateway
		}
		wg.Go(func() {
			for i := range calls {
				resp, err := cl.SignOrder(ctx, &signerpb.SignOrderRequest{Key: "orders", Order: limitOrder(t, fmt.Sprintf("a-%d-%d", g, i), "ACC-1", 150, "1", order.Day)})
				if err == nil {
					var env venue.Envelope
					if err := venue.ParseEnvelope(resp.GetEnvelope(), &env); err != nil || !bytes.Equal(env.Limits, hHigh[:]) {
						t.Errorf("signed quantity 150 under limits %x (%v); only max_quantity 200 (%x) signs it", env.Limits, err, hHigh)
						return
					}
					mu.Lock()
					signed++
					mu.Unlock()
					continue
				}
				rule, h := rejectedRule(t, err)
				if rule != risk.RuleMaxQuantity || h != hex.EncodeToString(hLow[:]) {
					t.Errorf("refused by %s under %s; want %s under max_quantity 100 (%x)", rule, h, risk.RuleMaxQuantity, hLow)
					return
				}
				mu.Lock()
				refused++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(stop)
	n := <-reloads
	t.Logf("%d orders signed under max_quantity 200, %d refused under 100, across %d reloads", signed, refused, n)
	if n == 0 {
		t.Fatal("no reload happened while orders were signed")
	}
}
