package risk

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/tinywindow/tinywindow/execadapter/order"
	"github.com/tinywindow/tinywindow/internal/printable"
	"github.com/tinywindow/tinywindow/internal/regularfile"
)

// Config is the YAML configuration of the pre-trade checks. A rule whose key
// is left out is off; a value that is present must be valid and must not
// switch its rule off (max_quantity: 0 and the like are refused; leave the
// key out instead). In Go, a zero field is an absent rule. Money amounts
// and prices are decimal strings ("1000000", "189.25"), never floats.
//
//	kill_switch: false
//	max_quantity: 10000
//	max_notional: "1000000"
//	price_collar_bps: 500
//	reference_prices: {AAPL: "189.50", MSFT: "410"}
//	symbols:
//	  allow: [AAPL, MSFT]
//	  deny: [GME]
//	credit_limits:
//	  default: "5000000"
//	  accounts: {ACC-SMALL: "20000"}
//	throttle:
//	  orders_per_second: 100000
//	  burst: 1000
//	duplicates:
//	  window: 60s
//	  capacity: 1048576
type Config struct {
	KillSwitch      bool              `yaml:"kill_switch"`
	MaxQuantity     int64             `yaml:"max_quantity"`
	MaxNotional     string            `yaml:"max_notional"`
	PriceCollarBps  int64             `yaml:"price_collar_bps"`
	ReferencePrices map[string]string `yaml:"reference_prices"`
	Symbols         struct {
		Allow []string `yaml:"allow"`
		Deny  []string `yaml:"deny"`
	} `yaml:"symbols"`
	CreditLimits struct {
		Default  string            `yaml:"default"`
		Accounts map[string]string `yaml:"accounts"`
	} `yaml:"credit_limits"`
	Throttle struct {
		OrdersPerSecond int64 `yaml:"orders_per_second"`
		Burst           int64 `yaml:"burst"`
	} `yaml:"throttle"`
	Duplicates struct {
		Window   time.Duration `yaml:"window"`
		Capacity int           `yaml:"capacity"`
	} `yaml:"duplicates"`
}

// MaxConfigSize bounds a configuration file.
const MaxConfigSize = 1 << 20

// maxThrottle bounds a throttle's orders_per_second and burst.
const maxThrottle = 1e9

// ErrConfig is matched by every configuration error.
var ErrConfig = errors.New("invalid risk configuration")

// ParseConfig parses a YAML configuration strictly: unknown keys are errors.
func ParseConfig(data []byte) (*Config, error) {
	if len(data) > MaxConfigSize {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrConfig, MaxConfigSize)
	}
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: %w", ErrConfig, printable.Error(err))
	}
	if err := refuseOff(data); err != nil {
		return nil, err
	}
	if _, err := compile(&c); err != nil {
		return nil, err
	}
	return &c, nil
}

// refuseOff refuses a rule that is present in the YAML with a value that
// would switch it off, such as max_quantity: 0: a reader of the file would
// take the rule to be on. In Go, a zero field of Config is simply off.
func refuseOff(data []byte) error {
	var p struct {
		MaxQuantity    *int64  `yaml:"max_quantity"`
		MaxNotional    *string `yaml:"max_notional"`
		PriceCollarBps *int64  `yaml:"price_collar_bps"`
		CreditLimits   *struct {
			Default *string `yaml:"default"`
		} `yaml:"credit_limits"`
		Throttle *struct {
			OrdersPerSecond int64 `yaml:"orders_per_second"`
			Burst           int64 `yaml:"burst"`
		} `yaml:"throttle"`
		Duplicates *struct {
			Window   time.Duration `yaml:"window"`
			Capacity int           `yaml:"capacity"`
		} `yaml:"duplicates"`
	}
	if err := yaml.Unmarshal(data, &p); err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, printable.Error(err))
	}
	off := func(given, key, what string) error {
		return fmt.Errorf("%w: %s would switch its rule off; %s, or leave %s out to have no such rule", ErrConfig, given, what, key)
	}
	switch {
	case p.MaxQuantity != nil && *p.MaxQuantity == 0:
		return off("max_quantity: 0", "max_quantity", "give the largest quantity an order may have")
	case p.MaxNotional != nil && *p.MaxNotional == "":
		return off("an empty max_notional", "max_notional", "give the largest notional as a decimal string such as \"1000000\"")
	case p.PriceCollarBps != nil && *p.PriceCollarBps == 0:
		return off("price_collar_bps: 0", "price_collar_bps", "give 1 to 10000 basis points")
	case p.CreditLimits != nil && p.CreditLimits.Default != nil && *p.CreditLimits.Default == "":
		return off("an empty credit_limits.default", "credit_limits.default", "give a default limit as a decimal string")
	case p.Throttle != nil && p.Throttle.OrdersPerSecond == 0 && p.Throttle.Burst == 0:
		return off("a throttle with no rate", "throttle", "give orders_per_second and burst")
	case p.Duplicates != nil && p.Duplicates.Window == 0 && p.Duplicates.Capacity == 0:
		return off("a duplicates section with no window", "duplicates", "give window and capacity")
	}
	return nil
}

// LoadConfig reads and parses the configuration file at path, which must be
// a regular file: a named pipe or a device is refused at once.
func LoadConfig(path string) (*Config, error) {
	data, err := regularfile.ReadFile(path, MaxConfigSize)
	if err != nil {
		return nil, fmt.Errorf("%w: %q: %w", ErrConfig, path, err)
	}
	c, err := ParseConfig(data)
	if err != nil {
		return nil, fmt.Errorf("%q: %w", path, err)
	}
	return c, nil
}

// compiled is a validated configuration in the form the checks use; money is
// in nano-units (10^-9 of a currency unit).
type compiled struct {
	maxQty      int64
	maxNotional uint64
	collarBps   uint64
	refs        map[string]uint64
	allow, deny map[string]struct{}
	creditOn    bool
	creditDef   uint64 // 0: accounts not listed have no credit
	credit      map[string]uint64
	interval    int64 // ns per order; 0: no throttle
	burst       int64
	dupWindow   int64
	dupCap      int
	hash        [32]byte // of the canonical snapshot (Config.Canonical)
}

func compile(c *Config) (*compiled, error) {
	k := &compiled{refs: map[string]uint64{}, credit: map[string]uint64{}}
	if c.MaxQuantity < 0 {
		return nil, fmt.Errorf("%w: max_quantity is %d; give a positive integer or leave it out", ErrConfig, c.MaxQuantity)
	}
	k.maxQty = c.MaxQuantity
	var err error
	if c.MaxNotional != "" {
		if k.maxNotional, err = amount("max_notional", c.MaxNotional); err != nil {
			return nil, err
		}
	}
	if c.PriceCollarBps < 0 || c.PriceCollarBps > 10000 {
		return nil, fmt.Errorf("%w: price_collar_bps is %d; give 1 to 10000 basis points or leave it out", ErrConfig, c.PriceCollarBps)
	}
	k.collarBps = uint64(c.PriceCollarBps)
	for sym, p := range c.ReferencePrices {
		if k.refs[sym], err = amount(fmt.Sprintf("reference_prices[%q]", sym), p); err != nil {
			return nil, err
		}
	}
	if k.collarBps > 0 && len(k.refs) == 0 {
		return nil, fmt.Errorf("%w: price_collar_bps is set but reference_prices is empty; give a reference price per symbol", ErrConfig)
	}
	set := func(name string, list []string) (map[string]struct{}, error) {
		if list == nil {
			return nil, nil
		}
		m := make(map[string]struct{}, len(list))
		for _, s := range list {
			if s == "" || len(s) > order.MaxSymbol {
				return nil, fmt.Errorf("%w: symbols.%s holds %q; a symbol is 1 to %d bytes", ErrConfig, name, s, order.MaxSymbol)
			}
			m[s] = struct{}{}
		}
		return m, nil
	}
	if k.allow, err = set("allow", c.Symbols.Allow); err != nil {
		return nil, err
	}
	if k.deny, err = set("deny", c.Symbols.Deny); err != nil {
		return nil, err
	}
	if c.CreditLimits.Default != "" {
		k.creditOn = true
		if k.creditDef, err = amount("credit_limits.default", c.CreditLimits.Default); err != nil {
			return nil, err
		}
	}
	for acct, v := range c.CreditLimits.Accounts {
		k.creditOn = true
		if k.credit[acct], err = amount(fmt.Sprintf("credit_limits.accounts[%q]", acct), v); err != nil {
			return nil, err
		}
	}
	t := c.Throttle
	switch {
	case t.OrdersPerSecond == 0 && t.Burst == 0:
	case t.OrdersPerSecond <= 0 || t.OrdersPerSecond > maxThrottle || t.Burst <= 0 || t.Burst > maxThrottle:
		// Both bounded by 1e9, the bucket's depth burst × interval is at
		// most 1e18 ns and the GCRA arithmetic never overflows int64.
		return nil, fmt.Errorf("%w: throttle needs orders_per_second and burst each from 1 to 1e9 (got %d and %d)", ErrConfig, t.OrdersPerSecond, t.Burst)
	default:
		k.interval = int64(time.Second) / t.OrdersPerSecond
		k.burst = t.Burst
	}
	d := c.Duplicates
	switch {
	case d.Window == 0 && d.Capacity == 0:
	case d.Window <= 0 || d.Capacity <= 0 || d.Capacity > 1<<26:
		return nil, fmt.Errorf("%w: duplicates needs a positive window (such as 60s) and a capacity from 1 to %d (got %v and %d)", ErrConfig, 1<<26, d.Window, d.Capacity)
	default:
		k.dupWindow, k.dupCap = int64(d.Window), d.Capacity
	}
	k.hash = sha256.Sum256(k.canonical(c.KillSwitch))
	return k, nil
}

func amount(name, s string) (uint64, error) {
	p, err := order.ParsePrice(s)
	if err != nil {
		return 0, fmt.Errorf("%w: %s: %w", ErrConfig, name, err)
	}
	if p.Mantissa <= 0 {
		return 0, fmt.Errorf("%w: %s is %q; it must be positive", ErrConfig, name, s)
	}
	n := Nanos(1, p)
	if n == saturated {
		return 0, fmt.Errorf("%w: %s is %q; amounts are limited to about 1.8e10", ErrConfig, name, s)
	}
	return n, nil
}
