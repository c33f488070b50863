package risk

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tinywindow/tinywindow/execadapter/internal/window"
	"github.com/tinywindow/tinywindow/execadapter/order"
)

// Rule names a pre-trade check. A Rejection carries the rule that fired.
type Rule string

// The rules, in the order they are checked.
const (
	RuleKillSwitch     Rule = "kill_switch"
	RuleSymbolDeny     Rule = "symbol_deny"
	RuleSymbolAllow    Rule = "symbol_allow"
	RuleMaxQuantity    Rule = "max_quantity"
	RuleReferencePrice Rule = "reference_price"
	RulePriceCollar    Rule = "price_collar"
	RuleMaxNotional    Rule = "max_notional"
	RuleCreditLimit    Rule = "credit_limit"
	RuleDuplicate      Rule = "duplicate_client_order_id"
	RuleThrottle       Rule = "throttle"
)

// ErrRejected is matched by every *Rejection.
var ErrRejected = errors.New("rejected by pre-trade check")

// Rejection is the error of an order that a pre-trade check refused.
type Rejection struct {
	Rule   Rule
	Detail string
}

func (r *Rejection) Error() string {
	return fmt.Sprintf("pre-trade check %s rejected the order: %s", r.Rule, r.Detail)
}

// Is reports whether target is ErrRejected.
func (r *Rejection) Is(target error) bool { return target == ErrRejected }

func reject(rule Rule, format string, args ...any) error {
	return &Rejection{Rule: rule, Detail: fmt.Sprintf(format, args...)}
}

// Checker runs the pre-trade checks of one configuration at a time
// (Reconfigure replaces it). It is safe for concurrent use. Check leaves the state alone; Reserve, used when an order
// is about to be sent, also takes a throttle token, remembers the client
// order ID and adds the order's notional to its account's open notional.
type Checker struct {
	c    *compiled
	kill atomic.Bool

	mu    sync.Mutex
	open  map[string]*uint64 // account → open notional in nano-units
	refs  map[string]uint64  // reference prices, updatable
	tat   int64              // throttle: theoretical arrival time (GCRA)
	dedup *window.Set
}

// New returns a Checker for cfg.
func New(cfg *Config) (*Checker, error) {
	c, err := compile(cfg)
	if err != nil {
		return nil, err
	}
	k := &Checker{c: c, open: map[string]*uint64{}, refs: c.refs}
	k.kill.Store(cfg.KillSwitch)
	if c.dupCap > 0 {
		k.dedup = window.New(c.dupWindow, c.dupCap)
	}
	return k, nil
}

// Prefault maps the memory of the duplicate-ID window now (see
// duplicates.capacity: about 72 bytes per ID), so that the first orders to
// reach each page do not pay a page fault. Call it once, before trading, on
// a latency-critical path.
func (k *Checker) Prefault() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.dedup != nil {
		k.dedup.Prefault()
	}
}

// SetKillSwitch turns the kill switch on (every order is rejected at once,
// with rule kill_switch) or off.
func (k *Checker) SetKillSwitch(on bool) { k.kill.Store(on) }

// Killed reports whether the kill switch is on.
func (k *Checker) Killed() bool { return k.kill.Load() }

// SetReferencePrice sets the reference price of symbol for the price collar
// and for the notional of market orders.
func (k *Checker) SetReferencePrice(symbol string, p order.Price) error {
	n := Nanos(1, p)
	if n == 0 || n == saturated {
		return fmt.Errorf("%w: reference price %s for %s must be positive and below 1.8e10", ErrConfig, p, symbol)
	}
	k.mu.Lock()
	if len(k.refs) == len(k.c.refs) { // copy on first write
		m := make(map[string]uint64, len(k.refs)+1)
		for s, v := range k.refs {
			m[s] = v
		}
		k.refs = m
	}
	k.refs[symbol] = n
	k.mu.Unlock()
	return nil
}

// PreTradeCheck decodes the canonical order bytes and runs every check
// without changing any state. It returns an error matching
// order.ErrInvalid for a malformed order, a *Rejection for a refused one,
// and nil otherwise.
func (k *Checker) PreTradeCheck(b []byte) error {
	var v order.View
	if err := order.Parse(b, &v); err != nil {
		return err
	}
	_, err := k.Check(&v, time.Now().UnixNano())
	return err
}

// Check runs every check on v at time now (Unix nanoseconds) without changing
// any state, and returns the order's notional in nano-units.
func (k *Checker) Check(v *order.View, now int64) (uint64, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.check(v, now, false)
}

// Reserve runs every check on v at time now and, when all pass, commits the
// order: it takes a throttle token, remembers the client order ID and adds
// the notional (returned, in nano-units) to the account's open notional.
// Call Release with that notional when the order stops being open (filled,
// cancelled, rejected by the venue, never sent).
func (k *Checker) Reserve(v *order.View, now int64) (uint64, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.check(v, now, true)
}

// Release subtracts notional from the open notional of account.
func (k *Checker) Release(account []byte, notional uint64) {
	k.mu.Lock()
	if p := k.open[string(account)]; p != nil {
		*p -= min(*p, notional)
	}
	k.mu.Unlock()
}

// OpenNotional returns the open notional of account in nano-units.
func (k *Checker) OpenNotional(account string) uint64 {
	k.mu.Lock()
	defer k.mu.Unlock()
	if p := k.open[account]; p != nil {
		return *p
	}
	return 0
}

func (k *Checker) check(v *order.View, now int64, commit bool) (uint64, error) {
	c := k.c
	if k.kill.Load() {
		return 0, reject(RuleKillSwitch, "the kill switch is on: no order is sent until it is turned off")
	}
	switch c.symbolRule(v.Symbol) {
	case RuleSymbolDeny:
		return 0, reject(RuleSymbolDeny, "symbol %q is on the deny list", v.Symbol)
	case RuleSymbolAllow:
		return 0, reject(RuleSymbolAllow, "symbol %q is not on the allow list", v.Symbol)
	}
	if c.maxQty > 0 && v.Quantity > c.maxQty {
		return 0, reject(RuleMaxQuantity, "quantity %d is over the maximum %d", v.Quantity, c.maxQty)
	}
	ref, hasRef := k.refs[string(v.Symbol)]
	needRef := v.Type == order.Market && (c.maxNotional > 0 || c.creditOn) || c.collarBps > 0
	if needRef && !hasRef {
		return 0, reject(RuleReferencePrice, "no reference price for symbol %q; the collar and the notional of market orders need one", v.Symbol)
	}
	price := Nanos(1, v.Price)
	if v.Type == order.Market {
		price = ref
	}
	if c.collarBps > 0 && v.Type == order.Limit {
		diff := price - ref
		if price < ref {
			diff = ref - price
		}
		// diff/ref > bps/10000, without division; both sides fit in 128 bits.
		lh, ll := mul(diff, 10000)
		rh, rl := mul(ref, c.collarBps)
		if lh > rh || (lh == rh && ll > rl) {
			return 0, reject(RulePriceCollar, "price %s is more than %d bps from the reference price %s", v.Price, c.collarBps, formatNanos(ref))
		}
	}
	notional := satMul(price, uint64(v.Quantity))
	if c.maxNotional > 0 && notional > c.maxNotional {
		return 0, reject(RuleMaxNotional, "notional %s is over the maximum %s", formatNanos(notional), formatNanos(c.maxNotional))
	}
	var open *uint64
	if c.creditOn {
		limit := c.creditLimit(v.Account)
		if limit == 0 {
			return 0, reject(RuleCreditLimit, "account %q has no credit limit configured", v.Account)
		}
		open = k.open[string(v.Account)]
		var cur uint64
		if open != nil {
			cur = *open
		}
		if satAdd(cur, notional) > limit {
			return 0, reject(RuleCreditLimit, "open notional %s plus %s is over the credit limit %s of account %q", formatNanos(cur), formatNanos(notional), formatNanos(limit), v.Account)
		}
	}
	tat := max(k.tat, now)
	throttled := c.interval > 0 && tat+c.interval-now > c.burst*c.interval
	// A duplicate is reported before the throttle. Committing, Add both
	// looks the ID up and remembers it, but only once every other check has
	// passed; so it goes last.
	if k.dedup != nil && (!commit || throttled) && k.dedup.Contains(v.ClientOrderID, now) {
		return 0, dupReject(v, c)
	}
	if throttled {
		return 0, reject(RuleThrottle, "more than %d orders per second (burst %d)", int64(time.Second)/c.interval, c.burst)
	}
	if !commit {
		return notional, nil
	}
	if k.dedup != nil && k.dedup.Add(v.ClientOrderID, now) {
		return 0, dupReject(v, c)
	}
	k.tat = tat + c.interval
	if c.creditOn {
		if open == nil {
			open = new(uint64)
			k.open[string(v.Account)] = open
		}
		*open = satAdd(*open, notional)
	}
	return notional, nil
}

func dupReject(v *order.View, c *compiled) error {
	return reject(RuleDuplicate, "client order ID %q was used within the last %v", v.ClientOrderID, time.Duration(c.dupWindow))
}
