package risk

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tinywindow/tinywindow/execadapter/order"
	"github.com/tinywindow/tinywindow/internal/testenv"
)

func load(t testing.TB) *Checker {
	t.Helper()
	cfg, err := LoadConfig("testdata/limits.yaml")
	if err != nil {
		t.Fatal(err)
	}
	k, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func encode(t testing.TB, edit func(*order.Order)) []byte {
	t.Helper()
	o := order.Order{ClientOrderID: "c-1", Account: "ACC-1", Symbol: "AAPL", Side: order.Buy, Type: order.Limit,
		Quantity: 100, Price: order.Price{Mantissa: 19025, Exponent: -2}, TimeInForce: order.Day, Timestamp: 1}
	if edit != nil {
		edit(&o)
	}
	b, err := o.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRules(t *testing.T) {
	tests := []struct {
		name string
		edit func(*order.Order)
		rule Rule // "" means accepted
	}{
		{"accepted", nil, ""},
		{"denied symbol", func(o *order.Order) { o.Symbol = "GME" }, RuleSymbolDeny},
		{"not allowed symbol", func(o *order.Order) { o.Symbol = "TSLA" }, RuleSymbolAllow},
		{"max quantity", func(o *order.Order) { o.Quantity = 10001 }, RuleMaxQuantity},
		{"quantity at max", func(o *order.Order) { o.Quantity = 10000; o.Account = "ACC-2" }, RuleMaxNotional},
		{"collar high", func(o *order.Order) { o.Price = order.Price{Mantissa: 19951, Exponent: -2} }, RulePriceCollar},
		{"collar edge high", func(o *order.Order) { o.Price = order.Price{Mantissa: 1995, Exponent: -1} }, ""},
		{"collar low", func(o *order.Order) { o.Price = order.Price{Mantissa: 18049, Exponent: -2} }, RulePriceCollar},
		{"collar edge low", func(o *order.Order) { o.Price = order.Price{Mantissa: 1805, Exponent: -1} }, ""},
		{"max notional", func(o *order.Order) { o.Quantity = 5300 }, RuleMaxNotional},
		{"market uses reference", func(o *order.Order) { o.Type = order.Market; o.Price = order.Price{}; o.Quantity = 5300 }, RuleMaxNotional},
		{"credit limit", func(o *order.Order) { o.Account = "ACC-SMALL"; o.Quantity = 106 }, RuleCreditLimit},
		{"credit within", func(o *order.Order) { o.Account = "ACC-SMALL"; o.Quantity = 105 }, ""},
		{"overflow saturates", func(o *order.Order) { o.Quantity = 1 << 62 }, RuleMaxQuantity},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k := load(t)
			err := k.PreTradeCheck(encode(t, tc.edit))
			if tc.rule == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var r *Rejection
			if !errors.As(err, &r) || r.Rule != tc.rule || !errors.Is(err, ErrRejected) {
				t.Fatalf("got %v; want rule %s", err, tc.rule)
			}
			if !strings.Contains(err.Error(), string(tc.rule)) {
				t.Fatalf("message %q does not name the rule", err)
			}
		})
	}
}

func reserve(k *Checker, b []byte, now int64) (uint64, error) {
	var v order.View
	if err := order.Parse(b, &v); err != nil {
		return 0, err
	}
	return k.Reserve(&v, now)
}

func ruleOf(err error) Rule {
	var r *Rejection
	if errors.As(err, &r) {
		return r.Rule
	}
	return ""
}

func TestStatefulRules(t *testing.T) {
	now := time.Now().UnixNano()
	t.Run("credit accumulates and releases", func(t *testing.T) {
		k := load(t)
		var notionals []uint64
		for i := range 3 {
			b := encode(t, func(o *order.Order) {
				o.Account = "ACC-SMALL"
				o.Quantity = 50
				o.ClientOrderID = string(rune('a' + i))
			})
			n, err := reserve(k, b, now+int64(i)*int64(time.Second))
			if i < 2 && err != nil {
				t.Fatalf("order %d: %v", i, err)
			}
			if i == 2 {
				if ruleOf(err) != RuleCreditLimit {
					t.Fatalf("third order: %v; want credit_limit", err)
				}
				break
			}
			notionals = append(notionals, n)
		}
		if got := k.OpenNotional("ACC-SMALL"); got != 2*9512500000000 {
			t.Fatalf("open notional %d", got)
		}
		k.Release([]byte("ACC-SMALL"), notionals[0])
		b := encode(t, func(o *order.Order) { o.Account = "ACC-SMALL"; o.Quantity = 50; o.ClientOrderID = "d" })
		if _, err := reserve(k, b, now+5*int64(time.Second)); err != nil {
			t.Fatalf("after release: %v", err)
		}
	})
	t.Run("duplicate within window", func(t *testing.T) {
		k := load(t)
		b := encode(t, nil)
		if _, err := reserve(k, b, now); err != nil {
			t.Fatal(err)
		}
		if _, err := reserve(k, b, now+int64(time.Second)); ruleOf(err) != RuleDuplicate {
			t.Fatalf("got %v", err)
		}
		if _, err := reserve(k, b, now+int64(61*time.Second)); err != nil {
			t.Fatalf("after the window: %v", err)
		}
	})
	t.Run("check does not commit", func(t *testing.T) {
		k := load(t)
		b := encode(t, nil)
		for range 10 {
			if err := k.PreTradeCheck(b); err != nil {
				t.Fatal(err)
			}
		}
		if k.OpenNotional("ACC-1") != 0 {
			t.Fatal("PreTradeCheck changed the open notional")
		}
	})
	t.Run("throttle", func(t *testing.T) {
		k := load(t)
		var fired int
		for i := range 20 {
			b := encode(t, func(o *order.Order) { o.ClientOrderID = "t" + string(rune('a'+i)); o.Quantity = 1 })
			if _, err := reserve(k, b, now); ruleOf(err) == RuleThrottle {
				fired++
			} else if err != nil {
				t.Fatal(err)
			}
		}
		if fired != 15 {
			t.Fatalf("throttle fired %d times; want 15 (burst 5 at one instant)", fired)
		}
		b := encode(t, func(o *order.Order) { o.ClientOrderID = "later"; o.Quantity = 1 })
		if _, err := reserve(k, b, now+int64(time.Millisecond)); err != nil {
			t.Fatalf("a millisecond later: %v", err)
		}
	})
	t.Run("kill switch", func(t *testing.T) {
		k := load(t)
		k.SetKillSwitch(true)
		if err := k.PreTradeCheck(encode(t, nil)); ruleOf(err) != RuleKillSwitch {
			t.Fatalf("got %v", err)
		}
		k.SetKillSwitch(false)
		if err := k.PreTradeCheck(encode(t, nil)); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("reference price update", func(t *testing.T) {
		k := load(t)
		if err := k.SetReferencePrice("AAPL", order.Price{Mantissa: 250, Exponent: 0}); err != nil {
			t.Fatal(err)
		}
		if err := k.PreTradeCheck(encode(t, nil)); ruleOf(err) != RulePriceCollar {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("invalid order", func(t *testing.T) {
		k := load(t)
		if err := k.PreTradeCheck([]byte{9}); !errors.Is(err, order.ErrInvalid) {
			t.Fatalf("got %v", err)
		}
	})
}

func TestConfigErrors(t *testing.T) {
	tests := []struct{ name, yaml, want string }{
		{"unknown key", "max_qty: 5\n", "max_qty"},
		{"negative quantity", "max_quantity: -1\n", "max_quantity"},
		{"float notional", "max_notional: \"1e6\"\n", "max_notional"},
		{"collar without refs", "price_collar_bps: 100\n", "reference_prices"},
		{"collar too wide", "price_collar_bps: 20000\n", "price_collar_bps"},
		{"bad reference", "reference_prices: {AAPL: \"-1\"}\n", `reference_prices["AAPL"]`},
		{"control bytes quoted", "reference_prices: {\"A\\nB\\e[31m\": \"-1\"}\n", `reference_prices["A\nB\x1b[31m"]`},
		{"zero quantity switches the rule off", "max_quantity: 0\n", "leave max_quantity out"},
		{"zero collar switches the rule off", "price_collar_bps: 0\nreference_prices: {AAPL: \"1\"}\n", "leave price_collar_bps out"},
		{"empty notional", "max_notional: \"\"\n", "leave max_notional out"},
		{"empty default credit", "credit_limits: {default: \"\"}\n", "leave credit_limits.default out"},
		{"throttle of zeros", "throttle: {orders_per_second: 0, burst: 0}\n", "leave throttle out"},
		{"empty throttle", "throttle: {}\n", "leave throttle out"},
		{"duplicates of zeros", "duplicates: {window: 0s, capacity: 0}\n", "leave duplicates out"},
		{"burst that overflows", "throttle: {orders_per_second: 1, burst: 10000000000}\n", "burst each from 1 to 1e9"},
		{"rate too high", "throttle: {orders_per_second: 2000000000, burst: 1}\n", "from 1 to 1e9"},
		{"zero credit", "credit_limits: {default: \"0\"}\n", "credit_limits.default"},
		{"throttle without burst", "throttle: {orders_per_second: 10}\n", "throttle"},
		{"duplicates without window", "duplicates: {capacity: 10}\n", "duplicates"},
		{"long symbol", "symbols: {deny: [ABCDEFGHIJKLMNOPQ]}\n", "symbols.deny"},
		{"not yaml", "[1, 2\n", "invalid risk configuration"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConfig([]byte(tc.yaml))
			if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v; want ErrConfig naming %s", err, tc.want)
			}
		})
	}
	if _, err := LoadConfig("testdata/missing.yaml"); !errors.Is(err, ErrConfig) {
		t.Fatalf("missing file: %v", err)
	}
	fifo := filepath.Join(t.TempDir(), "limits.yaml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := LoadConfig(fifo); done <- err }()
	select {
	case err := <-done:
		if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "named pipe") {
			t.Fatalf("named pipe: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("LoadConfig of a named pipe is still blocked")
	}
}

// TestThrottleLimits: the deepest and the fastest throttles allowed work;
// neither overflows into rejecting every order.
func TestThrottleLimits(t *testing.T) {
	for _, y := range []string{
		"throttle: {orders_per_second: 1, burst: 1000000000}\n",
		"throttle: {orders_per_second: 1000000000, burst: 1000000000}\n",
		"throttle: {orders_per_second: 1000000000, burst: 1}\n",
	} {
		cfg, err := ParseConfig([]byte(y))
		if err != nil {
			t.Fatalf("%s: %v", y, err)
		}
		k, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		b := encode(t, nil)
		var v order.View
		if err := order.Parse(b, &v); err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			if _, err := k.Reserve(&v, 1_795_000_000_000_000_000+int64(i)*int64(time.Second)); err != nil {
				t.Fatalf("%s: order %d: %v", y, i, err)
			}
		}
	}
}

func TestReserveDoesNotAllocate(t *testing.T) {
	testenv.SkipAllocations(t)
	cfg, _ := LoadConfig("testdata/limits.yaml")
	cfg.Throttle.OrdersPerSecond, cfg.Throttle.Burst = 0, 0
	cfg.CreditLimits.Default = "10000000000"
	k, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([][]byte, 64)
	for i := range ids {
		ids[i] = encode(t, func(o *order.Order) { o.ClientOrderID = fmt.Sprintf("id-%d", i); o.Quantity = 1 })
	}
	now := time.Now().UnixNano()
	i := 0
	var v order.View
	n := testing.AllocsPerRun(1000, func() {
		_ = order.Parse(ids[i%len(ids)], &v)
		notional, err := k.Reserve(&v, now+int64(i)*int64(2*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		k.Release(v.Account, notional)
		i++
	})
	if n != 0 {
		t.Fatalf("Reserve allocates %v times", n)
	}
}

func TestNanos(t *testing.T) {
	tests := []struct {
		qty  int64
		p    order.Price
		want uint64
	}{
		{1, order.Price{Mantissa: 1, Exponent: -9}, 1},
		{100, order.Price{Mantissa: 18925, Exponent: -2}, 18925_000_000_000},
		{1 << 40, order.Price{Mantissa: 1 << 40, Exponent: 0}, saturated},
		{0, order.Price{Mantissa: 1}, 0},
	}
	for _, tc := range tests {
		if got := Nanos(tc.qty, tc.p); got != tc.want {
			t.Errorf("Nanos(%d, %s) = %d; want %d", tc.qty, tc.p, got, tc.want)
		}
	}
	if s := formatNanos(18925_000_000_000); s != "18925" {
		t.Errorf("formatNanos = %s", s)
	}
	if s := formatNanos(1_500_000_001); s != "1.500000001" {
		t.Errorf("formatNanos = %s", s)
	}
}
