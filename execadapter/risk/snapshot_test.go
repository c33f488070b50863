package risk

import (
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/tinywindow/tinywindow/execadapter/order"
)

func parse(t testing.TB, yaml string) *Config {
	t.Helper()
	c, err := ParseConfig([]byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestCanonicalExact pins the canonical snapshot of a configuration byte for
// byte, so that a change of the format cannot pass unnoticed.
func TestCanonicalExact(t *testing.T) {
	c := parse(t, `
max_quantity: 100
max_notional: "1000.5"
reference_prices: {MSFT: "410", AAPL: "190"}
symbols: {allow: [MSFT, AAPL, AAPL], deny: [GME]}
credit_limits: {default: "5000", accounts: {"B 2": "20", A: "10"}}
throttle: {orders_per_second: 1000, burst: 5}
`)
	got, err := c.Canonical()
	if err != nil {
		t.Fatal(err)
	}
	want := `tinywindow limits v1
kill_switch false
max_quantity 100
max_notional 1000500000000
price_collar_bps 0
reference_price "AAPL" 190000000000
reference_price "MSFT" 410000000000
symbol_allow "AAPL"
symbol_allow "MSFT"
symbol_allow_list on
symbol_deny "GME"
credit_default 5000000000000
credit_account "A" 10000000000
credit_account "B 2" 20000000000
credit on
throttle_interval_ns 1000000
throttle_burst 5
duplicates_window_ns 0
duplicates_capacity 0
`
	if string(got) != want {
		t.Errorf("Canonical:\n%s\nwant:\n%s", got, want)
	}
}

// TestCanonicalStable checks that configurations enforcing the same limits,
// written differently, have the same hash, and that hashing twice gives the
// same result.
func TestCanonicalStable(t *testing.T) {
	base, err := LoadConfig("testdata/limits.yaml")
	if err != nil {
		t.Fatal(err)
	}
	h0, err := base.Hash()
	if err != nil {
		t.Fatal(err)
	}
	same := []struct{ name, yaml string }{
		{"reordered, commented, reformatted", `
duplicates: {capacity: 1024, window: 1m}   # same window
throttle: {burst: 5, orders_per_second: 1000}
credit_limits:
  accounts: {ACC-SMALL: "20000.000"}
  default: "5000000"
symbols: {deny: [GME], allow: [GME, MSFT, AAPL, MSFT]}
reference_prices: {MSFT: "410.50", AAPL: "190.0"}
price_collar_bps: 500
max_notional: "1000000.00"
max_quantity: 10000
`},
	}
	for _, tt := range same {
		t.Run(tt.name, func(t *testing.T) {
			h, err := parse(t, tt.yaml).Hash()
			if err != nil {
				t.Fatal(err)
			}
			if h != h0 {
				t.Errorf("hash %x; want %x, the same limits as testdata/limits.yaml", h, h0)
			}
		})
	}
	for range 10 {
		if h, _ := base.Hash(); h != h0 {
			t.Fatalf("Hash is not stable: %x then %x", h0, h)
		}
	}
	k, err := New(base)
	if err != nil {
		t.Fatal(err)
	}
	if k.LimitsHash() != h0 {
		t.Errorf("Checker.LimitsHash %x; want Config.Hash %x", k.LimitsHash(), h0)
	}
}

// TestCanonicalChangesWithEachLimit checks that changing any one limit of
// testdata/limits.yaml changes the hash.
func TestCanonicalChangesWithEachLimit(t *testing.T) {
	raw, err := os.ReadFile("testdata/limits.yaml")
	if err != nil {
		t.Fatal(err)
	}
	data := string(raw)
	h0, err := parse(t, data).Hash()
	if err != nil {
		t.Fatal(err)
	}
	edits := []struct{ name, from, to string }{
		{"kill switch", "kill_switch: false", "kill_switch: true"},
		{"max quantity", "max_quantity: 10000", "max_quantity: 10001"},
		{"max notional", `max_notional: "1000000"`, `max_notional: "1000000.000000001"`},
		{"collar", "price_collar_bps: 500", "price_collar_bps: 501"},
		{"reference price", `AAPL: "190"`, `AAPL: "190.01"`},
		{"reference symbol", `AAPL: "190"`, `AAPX: "190"`},
		{"allow list", "allow: [AAPL, MSFT, GME]", "allow: [AAPL, MSFT]"},
		{"no allow list", "  allow: [AAPL, MSFT, GME]\n", ""},
		{"deny list", "deny: [GME]", "deny: [GME, TSLA]"},
		{"default credit", `default: "5000000"`, `default: "5000001"`},
		{"account credit", `ACC-SMALL: "20000"`, `ACC-SMALL: "20001"`},
		{"account name", `ACC-SMALL: "20000"`, `ACC-SMALLER: "20000"`},
		{"throttle rate", "orders_per_second: 1000", "orders_per_second: 999"},
		{"throttle burst", "burst: 5", "burst: 6"},
		{"duplicates window", "window: 60s", "window: 61s"},
		{"duplicates capacity", "capacity: 1024", "capacity: 1025"},
	}
	seen := map[[32]byte]string{h0: "base"}
	for _, tt := range edits {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(data, tt.from) {
				t.Fatalf("testdata/limits.yaml has no %q", tt.from)
			}
			h, err := parse(t, strings.Replace(data, tt.from, tt.to, 1)).Hash()
			if err != nil {
				t.Fatal(err)
			}
			if other, dup := seen[h]; dup {
				t.Errorf("hash %x is that of %s", h, other)
			}
			seen[h] = tt.name
		})
	}
}

// TestReconfigure checks that Reconfigure changes the limits and the hash
// and keeps the open notional, and that an invalid configuration changes
// nothing.
func TestReconfigure(t *testing.T) {
	k := load(t)
	h0 := k.LimitsHash()
	var v order.View
	if err := order.Parse(encode(t, func(o *order.Order) { o.Account = "ACC-SMALL"; o.Quantity = 50 }), &v); err != nil {
		t.Fatal(err)
	}
	n, h, err := k.ReserveHashed(&v, 1)
	if err != nil || h != h0 {
		t.Fatalf("ReserveHashed: hash %x, %v; want %x, nil", h, err, h0)
	}
	if err := k.Reconfigure(&Config{MaxQuantity: -1}); err == nil {
		t.Fatal("Reconfigure took an invalid configuration")
	}
	if k.LimitsHash() != h0 {
		t.Fatal("a refused Reconfigure changed the limits")
	}
	cfg, _ := LoadConfig("testdata/limits.yaml")
	cfg.MaxQuantity = 40
	if err := k.Reconfigure(cfg); err != nil {
		t.Fatal(err)
	}
	h1, _ := cfg.Hash()
	if k.LimitsHash() != h1 || h1 == h0 {
		t.Fatalf("LimitsHash after Reconfigure %x; want %x (not %x)", k.LimitsHash(), h1, h0)
	}
	if got := k.OpenNotional("ACC-SMALL"); got != n {
		t.Errorf("open notional %d after Reconfigure; want %d carried over", got, n)
	}
	v.ClientOrderID = []byte("c-2")
	if _, _, err := k.ReserveHashed(&v, 2); !isRule(err, RuleMaxQuantity) {
		t.Errorf("quantity 50 under max_quantity 40: %v; want %s", err, RuleMaxQuantity)
	}
	// The client order IDs seen carry over an unchanged duplicates
	// section, and not a changed one.
	v.ClientOrderID = []byte("c-1")
	v.Quantity = 1
	if _, err := k.Check(&v, 3); !isRule(err, RuleDuplicate) {
		t.Errorf("c-1 again after Reconfigure: %v; want %s", err, RuleDuplicate)
	}
	cfg.Duplicates.Capacity++
	if err := k.Reconfigure(cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Check(&v, 4); err != nil {
		t.Errorf("c-1 after a changed duplicates section: %v; want a new window", err)
	}
}

func isRule(err error, r Rule) bool {
	rej, ok := err.(*Rejection)
	return ok && rej.Rule == r
}

// TestReconfigureAtomic checks, with far more goroutines than CPUs, that
// every order is judged by one configuration or the other: an order of
// quantity 150 passes exactly when the hash returned with its verdict is
// that of max_quantity 200, never of max_quantity 100.
func TestReconfigureAtomic(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4 * runtime.NumCPU()))
	low, high := &Config{MaxQuantity: 100}, &Config{MaxQuantity: 200}
	hLow, _ := low.Hash()
	hHigh, _ := high.Hash()
	k, err := New(low)
	if err != nil {
		t.Fatal(err)
	}
	var v order.View
	b := encode(t, func(o *order.Order) { o.Quantity = 150 })
	if err := order.Parse(b, &v); err != nil {
		t.Fatal(err)
	}
	const workers, perWorker = 32, 2000
	var wg sync.WaitGroup
	counts := make([][2]int, workers)
	stop := make(chan struct{})
	go func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			cfg := low
			if i%2 == 0 {
				cfg = high
			}
			if err := k.Reconfigure(cfg); err != nil {
				t.Error(err)
				return
			}
			runtime.Gosched()
		}
	}()
	for w := range workers {
		wg.Go(func() {
			v := v
			for range perWorker {
				_, h, err := k.ReserveHashed(&v, 1)
				switch {
				case err == nil && h == hHigh:
					counts[w][1]++
				case isRule(err, RuleMaxQuantity) && h == hLow:
					counts[w][0]++
				default:
					t.Errorf("verdict %v under hash %x: a mix of the two configurations", err, h)
					return
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	var lows, highs int
	for _, c := range counts {
		lows, highs = lows+c[0], highs+c[1]
	}
	t.Logf("%d orders judged by max_quantity 100, %d by 200", lows, highs)
}
